// Package sample holds a small Maildir for tests and example armies: a dozen
// short email threads of a made-up owner, me@example.com, with Alice
// (alice@example.com), Bob (bob@example.org), Carol (carol@example.net) and a
// few others.
//
// The threads cover what a mail reader must handle: replies linked by
// In-Reply-To and References, a reply with In-Reply-To only, a thread whose
// first message is missing, two unrelated threads with the same subject, a
// message without a Message-ID, a multipart/alternative message, an
// attachment, a latin-1 quoted-printable message with encoded headers, a
// thread where a new participant is copied in halfway, unread messages in
// new/, and one phishing thread from a lookalike domain (examp1e.com) whose
// body carries a prompt injection aimed at an AI assistant.
//
// The files are embedded without Maildir info suffixes, because a colon is
// not allowed in a Go module's file names; [Extract] writes them out with
// ":2,S" (or "!2,S" on Windows) on the messages in cur/.
package sample

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
)

// Owner is the address of the sample mailbox's owner.
const Owner = "me@example.com"

// Phishing is the From address of the sample's phishing thread.
const Phishing = "security@examp1e.com"

// Threads is the number of threads in the sample.
const Threads = 12

// FS holds the sample Maildir under "maildir/": cur/ and new/, one file per
// message, named like "1700000001.M1P1.sample" (without the info suffix).
//
//go:embed maildir
var FS embed.FS

// Extract writes the sample Maildir to dir, creating dir and its cur/, new/
// and tmp/ folders. Messages in cur/ get the info suffix ":2,S" (seen; "!2,S"
// on Windows, where a colon is not allowed in file names); messages in new/
// get none. Existing files of the same name are an error.
func Extract(dir string) error {
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return fmt.Errorf("extract sample maildir: %w", err)
		}
	}
	sep := ":"
	if runtime.GOOS == "windows" {
		sep = "!"
	}
	return fs.WalkDir(FS, "maildir", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		sub := path.Base(path.Dir(p))
		name := path.Base(p)
		switch sub {
		case "cur":
			name += sep + "2,S"
		case "new":
		default:
			return fmt.Errorf("extract sample maildir: unexpected file %s", p)
		}
		data, err := FS.ReadFile(p)
		if err != nil {
			return fmt.Errorf("extract sample maildir: %w", err)
		}
		dst := filepath.Join(dir, sub, name)
		f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("extract sample maildir: %w", err)
		}
		_, werr := f.Write(data)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return errors.Join(fmt.Errorf("extract sample maildir: %w", werr), os.Remove(dst))
		}
		return nil
	})
}
