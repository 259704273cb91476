// Package dovecottest starts a real Dovecot IMAP server on 127.0.0.1 for a
// test: its own folder, port and user, stopped when the test ends. Tests of
// the mail kind and of the engine and CLI over IMAP share it. A test is
// skipped when the dovecot binary is missing (apt-get install dovecot-imapd).
package dovecottest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Server is a real Dovecot IMAP server on 127.0.0.1, private to one test:
// its own directory, port and user "alice".
type Server struct {
	t       testing.TB
	dir     string
	port    int
	tlsPort int // with TLS: the implicit TLS (imaps) port
	uid     int
	cmd     *exec.Cmd
}

// User is the one user of every Server; its password is given to Start.
const User = "alice"

// Start starts a Dovecot for the test, holding the messages of the
// Maildir seed (if any) in alice's INBOX, and stops it when the test ends.
// It skips the test when the dovecot binary is missing.
func Start(t testing.TB, password, seed string) *Server {
	t.Helper()
	return StartWith(t, password, seed, nil, "")
}

// StartWith is Start; with cert (a server certificate and
// key), the server offers STARTTLS on its port and TLS on tlsPort; extra is
// added to its configuration.
func StartWith(t testing.TB, password, seed string, cert *tls.Certificate, extra string) *Server {
	t.Helper()
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/dovecot"); serr != nil {
			t.Skip("dovecot is not installed (apt-get install dovecot-imapd; build/deps.sh installs it): skipping the IMAP test against a real server")
		}
		bin = "/usr/sbin/dovecot"
	}
	// The auth process runs as the dovecot user: every folder on the way
	// must be readable by it (t.TempDir makes 0700 folders).
	dir, err := os.MkdirTemp("", "lb-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	d := &Server{t: t, dir: dir, port: FreePort(t), uid: os.Getuid()}
	if d.uid == 0 {
		d.uid = 1777 // Dovecot's mail processes refuse root
	}
	for _, sub := range []string{"run", "state", "mail/" + User} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if seed != "" {
		if err := os.CopyFS(filepath.Join(dir, "mail", User), os.DirFS(seed)); err != nil {
			t.Fatal(err)
		}
	}
	if err := filepath.WalkDir(filepath.Join(dir, "mail"), func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, d.uid, d.uid)
	}); err != nil {
		t.Fatal(err)
	}
	d.SetPassword(password)
	ssl, imaps := "ssl = no", "port = 0"
	if cert != nil {
		d.tlsPort = FreePort(t)
		key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
		keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})
		for name, b := range map[string][]byte{"cert.pem": certPEM, "key.pem": keyPEM} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		ssl = fmt.Sprintf("ssl = yes\nssl_cert = <%[1]s/cert.pem\nssl_key = <%[1]s/key.pem", dir)
		imaps = fmt.Sprintf("address = 127.0.0.1\n    port = %d", d.tlsPort)
	}
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = lb-dovecot-%[2]d
protocols = imap
listen = 127.0.0.1
%[4]s
disable_plaintext_auth = no
log_path = %[1]s/dovecot.log
mail_location = maildir:%[1]s/mail/%%u
first_valid_uid = 1
login_trusted_networks = 127.0.0.0/8
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/users
}
userdb {
  driver = static
  args = uid=%[3]d gid=%[3]d home=%[1]s/mail/%%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[2]d
  }
  inet_listener imaps {
    %[5]s
  }
}
%[6]s
`, dir, d.port, d.uid, ssl, imaps, extra)
	if err := os.WriteFile(filepath.Join(dir, "dovecot.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(bin, "-F", "-c", filepath.Join(dir, "dovecot.conf"))
	t.Cleanup(func() {
		d.Stop()
		if t.Failed() {
			out, _ := os.ReadFile(filepath.Join(dir, "dovecot.out"))
			b, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Logf("dovecot log:\n%s%s", out, b)
		}
	})
	d.Start()
	return d
}

// SetPassword sets alice's password (Dovecot reads the file at each login).
func (d *Server) SetPassword(pw string) {
	d.t.Helper()
	if err := os.WriteFile(filepath.Join(d.dir, "users"), []byte(User+":{PLAIN}"+pw+"\n"), 0o644); err != nil {
		d.t.Fatal(err)
	}
}

// Start starts the server (again) and waits until it accepts connections.
func (d *Server) Start() {
	d.t.Helper()
	if d.cmd.Process != nil {
		d.cmd = exec.Command(d.cmd.Path, d.cmd.Args[1:]...)
	}
	// Its own process group, so that stop can end the processes it forks;
	// output to a file, so that Wait does not wait for them to close a pipe.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := os.OpenFile(filepath.Join(d.dir, "dovecot.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		d.t.Fatal(err)
	}
	defer out.Close()
	d.cmd.Stdout, d.cmd.Stderr = out, out
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", d.Addr(), time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("dovecot did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops the server, dropping every connection: SIGTERM to the master,
// then (Dovecot may let an IDLE session linger for seconds) SIGKILL to what
// is left of its process group, which holds only the processes it started.
func (d *Server) Stop() {
	if d.cmd == nil || d.cmd.Process == nil || d.cmd.ProcessState != nil {
		return
	}
	pgid := d.cmd.Process.Pid
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		_ = d.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-done
}

// Addr is the server's host:port.
// Port is the server's plain (and STARTTLS) IMAP port.
func (d *Server) Port() int { return d.port }

// TLSPort is the implicit TLS (imaps) port of a server started with a
// certificate; 0 otherwise.
func (d *Server) TLSPort() int { return d.tlsPort }

// Dir is the server's folder (configuration, log, mail under mail/alice).
func (d *Server) Dir() string { return d.dir }

func (d *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", d.port) }

// Props are the props of a mailbox instance on the server.
func (d *Server) Props(extra map[string]any) map[string]any {
	p := map[string]any{
		"imap_host":     "127.0.0.1",
		"imap_port":     d.port,
		"imap_security": "plain",
		"imap_user":     User,
	}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

// Client is a plain IMAP client logged in as alice, for a test to change the
// mailbox behind the instance's back.
func (d *Server) Client(password string) *imapclient.Client {
	d.t.Helper()
	c, err := imapclient.DialInsecure(d.Addr(), nil)
	if err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() { c.Close() })
	if err := c.Login(User, password).Wait(); err != nil {
		d.t.Fatal(err)
	}
	return c
}

// Append appends (over c, CRLF line ends) a message to folder.
func Append(t testing.TB, c *imapclient.Client, folder, raw string) {
	t.Helper()
	raw = strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n")
	cmd := c.Append(folder, int64(len(raw)), nil)
	if _, err := cmd.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("APPEND to %s: %v", folder, err)
	}
}

// FolderMessages returns the raw messages of folder.
func FolderMessages(t testing.TB, c *imapclient.Client, folder string) []string {
	t.Helper()
	sel, err := c.Select(folder, nil).Wait()
	if err != nil {
		t.Fatalf("SELECT %s: %v", folder, err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	all, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range all {
		for _, b := range m.BodySection {
			out = append(out, string(b.Bytes))
		}
	}
	return out
}

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
