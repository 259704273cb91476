package httpcap_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"littleboxes/capabilities"
	httpcap "littleboxes/capabilities/http"
	"littleboxes/vault"
)

func TestOtherOriginRefused(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {})
	other, otherHits := server(t, func(w http.ResponseWriter, r *http.Request) {})
	inst := newInst(t, props(t, map[string]any{"origins": []string{srv.URL}, "allow_private_network": true}), "")
	otherHost := strings.TrimPrefix(other.URL, "http://")
	for _, u := range []string{
		other.URL + "/x",
		"//" + otherHost + "/x",
		"https://" + strings.TrimPrefix(srv.URL, "http://") + "/", // same host, other scheme
		"http://" + otherHost + "\\@" + strings.TrimPrefix(srv.URL, "http://"),
		"http://127.0.0.1:1/",
		"ftp://" + otherHost + "/",
		"file:///etc/passwd",
		"javascript:alert(1)",
		"http:" + otherHost,
	} {
		_, err := fetch(inst, u)
		if err == nil {
			t.Fatalf("%s: fetched", u)
		}
		if !errors.Is(err, httpcap.ErrOriginNotAllowed) && !strings.Contains(err.Error(), "is not a URL") {
			t.Fatalf("%s: err = %v, want ErrOriginNotAllowed", u, err)
		}
	}
	_, err := fetch(inst, other.URL+"/x")
	wantErr(t, err, httpcap.ErrOriginNotAllowed, "is not one of "+srv.URL)
	_, err = fetch(inst, "http://me:pw@"+strings.TrimPrefix(srv.URL, "http://")+"/")
	wantErr(t, err, nil, "user name or password")
	if otherHits.Load() != 0 {
		t.Fatalf("other origin hit %d times", otherHits.Load())
	}
}

func TestHeadersRefused(t *testing.T) {
	var seen box[http.Header]
	srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) { seen.set(r.Header.Clone()) })
	plain := newInst(t, props(t, map[string]any{"origins": []string{srv.URL}, "allow_private_network": true}), "")
	authed := newInst(t, props(t, map[string]any{"origins": []string{srv.URL}, "allow_private_network": true,
		"auth": map[string]any{"type": "header", "name": "X-Api-Key"}}), "tok-0123456789")

	always := []string{"Host", "host", "Content-Length", "Connection", "Keep-Alive", "Transfer-Encoding", "TE",
		"Upgrade", "Trailer", "Proxy-Authorization", "Proxy-Connection", "Accept-Encoding"}
	for _, inst := range []capabilities.Instance{plain, authed} {
		for _, name := range always {
			_, err := fetch(inst, "/", map[string]any{"headers": map[string]any{name: "x"}})
			wantErr(t, err, httpcap.ErrHeaderNotAllowed, "cannot be set")
		}
		_, err := fetch(inst, "/", map[string]any{"headers": map[string]any{"X-A": "1\r\nInjected: yes"}})
		wantErr(t, err, httpcap.ErrHeaderNotAllowed, "line break")
		_, err = fetch(inst, "/", map[string]any{"headers": map[string]any{"Bad Name": "1"}})
		wantErr(t, err, httpcap.ErrHeaderNotAllowed, "not a valid header name")
	}
	for _, name := range []string{"Authorization", "authorization", "Cookie", "x-api-key"} {
		_, err := fetch(authed, "/", map[string]any{"headers": map[string]any{name: "mine"}})
		wantErr(t, err, httpcap.ErrHeaderNotAllowed, "credential")
	}
	if hits.Load() != 0 {
		t.Fatalf("server hit %d times by refused requests", hits.Load())
	}
	// Without auth, the agent may send its own Authorization and cookies.
	mustFetch(t, plain, "/", map[string]any{"headers": map[string]any{"Authorization": "Bearer mine", "Cookie": "a=b"}})
	if h := seen.get(); h.Get("Authorization") != "Bearer mine" || h.Get("Cookie") != "a=b" {
		t.Fatalf("server saw %v", h)
	}
}

// echoServer answers with every part of the request it can reflect: the
// headers and URL in its body (as JSON, base64 and hex) and in its response
// headers and cookies. It records the credential it saw.
func echoServer(t *testing.T, gzipped bool) (*httptest.Server, *box[string]) {
	got := new(box[string])
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		cred := r.URL.Query().Get("key")
		if a := r.Header.Get("Authorization"); a != "" {
			cred = strings.TrimPrefix(a, "Bearer ")
		}
		if k := r.Header.Get("X-Api-Key"); k != "" {
			cred = k
		}
		got.set(cred)
		w.Header().Set("X-Echo-Auth", r.Header.Get("Authorization"))
		w.Header().Set("X-Echo-Key", cred)
		w.Header().Set("X-Echo-B64", base64.StdEncoding.EncodeToString([]byte(cred)))
		w.Header().Set("X-Echo-Url", r.URL.String())
		w.Header().Add("Set-Cookie", "session="+url.QueryEscape(cred))
		w.Header().Set("Content-Type", "application/json")
		body, _ := json.Marshal(map[string]any{
			"headers": r.Header, "url": r.URL.String(), "query": r.URL.Query(),
			"b64": base64.StdEncoding.EncodeToString([]byte(cred)), "b64url": base64.RawURLEncoding.EncodeToString([]byte(cred)),
			"hex": hex.EncodeToString([]byte(cred)), "basic": base64.StdEncoding.EncodeToString([]byte("user:" + cred)),
		})
		if gzipped {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write(body)
			zw.Close()
			return
		}
		w.Write(body)
	})
	return srv, got
}

func TestCredential(t *testing.T) {
	secrets := []string{"tok-0123456789abcdef", "p@ss/w+rd<&>s3cret=1 ü"}
	auths := []map[string]any{
		{"type": "bearer"},
		{"type": "header", "name": "X-Api-Key"},
		{"type": "query", "name": "key"},
	}
	for _, gz := range []bool{false, true} {
		for _, auth := range auths {
			for _, secret := range secrets {
				name := auth["type"].(string) + "/" + secret
				if gz {
					name += "/gzip"
				}
				t.Run(name, func(t *testing.T) {
					srv, got := echoServer(t, gz)
					inst := newInst(t, props(t, map[string]any{"origins": []string{srv.URL}, "allow_private_network": true, "auth": auth}), secret)
					res := mustFetch(t, inst, "/echo?x=1")
					if got.get() != secret {
						t.Fatalf("server saw credential %q, want %q", got.get(), secret)
					}
					checkNoSecret(t, "result", res, secret)
					if !strings.Contains(res["body"].(string), httpcap.Marker) || !strings.Contains(res["headers"].(map[string]any)["x-echo-key"].(string), httpcap.Marker) {
						t.Fatalf("no marker in %v", res)
					}
					if res["url"] != srv.URL+"/echo?x=1" {
						t.Fatalf("url = %q", res["url"])
					}
				})
			}
		}
	}
}

// TestCredentialThroughVault runs the instance on a vault.Vault: the vault's
// redactor, which knows the credential once read, finds nothing left to
// redact in what the instance returns.
func TestCredentialThroughVault(t *testing.T) {
	const secret = "tok-0123456789abcdef/+="
	for _, auth := range []map[string]any{{"type": "bearer"}, {"type": "query", "name": "key"}} {
		srv, got := echoServer(t, false)
		r := vault.NewRedactor()
		v := vault.New(vault.NewMemory(map[string]string{"api-key": secret}), r)
		inst, err := capabilities.New(context.Background(), "http",
			[]byte(props(t, map[string]any{"origins": []string{srv.URL}, "allow_private_network": true, "auth": auth})),
			&capabilities.Host{Secrets: v, SecretRefs: map[string]string{"credential": "api-key"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { capabilities.Cleanup(inst) })
		res := mustFetch(t, inst, "/")
		if got.get() != secret {
			t.Fatalf("server saw %q", got.get())
		}
		if red := r.Value(res); !reflect.DeepEqual(red, any(res)) {
			t.Fatalf("the vault redacted more:\ninstance: %v\nvault:    %v", res, red)
		}
		if !strings.Contains(r.String(secret), "[secret:api-key]") {
			t.Fatal("the vault does not know the credential")
		}
	}
}

func TestCredentialReadEachCall(t *testing.T) {
	srv, got := echoServer(t, false)
	fs := &fakeSecrets{m: map[string]string{"api-key": "first-token-0001"}}
	inst, err := capabilities.New(context.Background(), "http",
		[]byte(props(t, map[string]any{"origins": []string{srv.URL}, "allow_private_network": true, "auth": map[string]any{"type": "bearer"}})),
		&capabilities.Host{Secrets: fs, SecretRefs: map[string]string{"credential": "api-key"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { capabilities.Cleanup(inst) })
	if fs.reads != 0 {
		t.Fatalf("%d reads before any call", fs.reads)
	}
	mustFetch(t, inst, "/")
	fs.set("api-key", "second-token-0002")
	res := mustFetch(t, inst, "/")
	if got.get() != "second-token-0002" || fs.reads != 2 {
		t.Fatalf("server saw %q after %d reads", got.get(), fs.reads)
	}
	checkNoSecret(t, "result", res, "second-token-0002")

	// A secret that cannot be read fails the call, naming no value.
	fs.set("api-key", "abc")
	_, err = fetch(inst, "/")
	wantErr(t, err, httpcap.ErrCredential, "too short")
	delete(fs.m, "api-key")
	_, err = fetch(inst, "/")
	wantErr(t, err, httpcap.ErrCredential, "not found")
}

func TestQueryParamOfCredentialRefused(t *testing.T) {
	srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) {})
	inst := newInst(t, props(t, map[string]any{"origins": []string{srv.URL}, "allow_private_network": true,
		"auth": map[string]any{"type": "query", "name": "api key"}}), "tok-0123456789")
	for _, q := range []string{"?api+key=mine", "?a=1&api%20key=mine", "?api%20key"} {
		_, err := fetch(inst, "/"+q)
		wantErr(t, err, nil, `the query parameter "api key" carries the credential`)
	}
	if hits.Load() != 0 {
		t.Fatal("server hit")
	}
}

func TestEncodedResponseRefusedWithCredential(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "br")
		w.Write([]byte("opaque"))
	})
	inst := newInst(t, props(t, map[string]any{"origins": []string{srv.URL}, "allow_private_network": true,
		"auth": map[string]any{"type": "bearer"}}), "tok-0123456789")
	_, err := fetch(inst, "/")
	wantErr(t, err, nil, "Content-Encoding: br")
	// Without a credential there is nothing to check for: passed through.
	plain := newInst(t, props(t, map[string]any{"origins": []string{srv.URL}, "allow_private_network": true}), "")
	res := mustFetch(t, plain, "/")
	if res["headers"].(map[string]any)["content-encoding"] != "br" {
		t.Fatalf("res = %v", res)
	}
}

func TestRedirects(t *testing.T) {
	const secret = "tok-0123456789abcdef"
	var secondSaw box[string]
	second, secondHits := server(t, func(w http.ResponseWriter, r *http.Request) {
		secondSaw.set(r.Header.Get("Authorization") + r.URL.Query().Get("key"))
		w.Write([]byte("second"))
	})
	outside, outsideHits := server(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("outside")) })
	var firstSaw box[[]string]
	var first *httptest.Server
	first, _ = server(t, func(w http.ResponseWriter, r *http.Request) {
		firstSaw.mu.Lock()
		firstSaw.v = append(firstSaw.v, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		firstSaw.mu.Unlock()
		switch {
		case r.URL.Path == "/same":
			http.Redirect(w, r, "/final", http.StatusFound)
		case r.URL.Path == "/final":
			b := new(bytes.Buffer)
			b.ReadFrom(r.Body)
			w.Write([]byte("final " + b.String()))
		case r.URL.Path == "/to-second":
			http.Redirect(w, r, second.URL+"/x", http.StatusFound)
		case r.URL.Path == "/to-outside":
			http.Redirect(w, r, outside.URL+"/steal?key="+secret, http.StatusFound)
		case r.URL.Path == "/307":
			http.Redirect(w, r, "/final", http.StatusTemporaryRedirect)
		case r.URL.Path == "/303":
			http.Redirect(w, r, "/final", http.StatusSeeOther)
		case strings.HasPrefix(r.URL.Path, "/loop"):
			http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
		}
	})
	mk := func(extra map[string]any) capabilities.Instance {
		p := map[string]any{"origins": []string{first.URL, second.URL}, "allow_private_network": true,
			"auth": map[string]any{"type": "bearer"}, "methods": []string{"GET", "POST"}}
		for k, v := range extra {
			p[k] = v
		}
		return newInst(t, props(t, p), secret)
	}
	inst := mk(nil)

	t.Run("same origin", func(t *testing.T) {
		firstSaw.set(nil)
		res := mustFetch(t, inst, "/same")
		if res["body"] != "final " || res["url"] != first.URL+"/final" {
			t.Fatalf("res = %v", res)
		}
		if saw := firstSaw.get(); len(saw) != 2 || saw[1] != "GET /final Bearer "+secret {
			t.Fatalf("server saw %q", saw)
		}
	})
	t.Run("to another allowed origin", func(t *testing.T) {
		res := mustFetch(t, inst, "/to-second")
		if res["body"] != "second" || secondSaw.get() != "Bearer "+secret || secondHits.Load() != 1 {
			t.Fatalf("res = %v, second saw %q", res, secondSaw.get())
		}
	})
	t.Run("to an outside origin", func(t *testing.T) {
		_, err := fetch(inst, "/to-outside")
		wantErr(t, err, httpcap.ErrRedirect, "was not followed")
		if !errors.Is(err, httpcap.ErrOriginNotAllowed) {
			t.Fatalf("err = %v", err)
		}
		checkNoSecret(t, "error", err.Error(), secret)
		if outsideHits.Load() != 0 {
			t.Fatalf("outside hit %d times", outsideHits.Load())
		}
	})
	t.Run("307 keeps the body", func(t *testing.T) {
		res := mustFetch(t, inst, "/307", map[string]any{"method": "POST", "body": "payload"})
		if res["body"] != "final payload" {
			t.Fatalf("res = %v", res)
		}
	})
	t.Run("too many", func(t *testing.T) {
		_, err := fetch(mk(map[string]any{"max_redirects": 3}), "/loop")
		wantErr(t, err, httpcap.ErrRedirect, "stopped after 3 redirects (max_redirects)")
		mustFetch(t, mk(map[string]any{"max_redirects": 1}), "/same")
	})
	t.Run("not followed", func(t *testing.T) {
		res := mustFetch(t, mk(map[string]any{"max_redirects": 0}), "/to-outside")
		h := res["headers"].(map[string]any)
		if res["status"] != 302.0 || !strings.HasPrefix(h["location"].(string), outside.URL+"/steal?key="+httpcap.Marker) {
			t.Fatalf("res = %v", res)
		}
		checkNoSecret(t, "result", res, secret)
	})
	t.Run("method changed to one not allowed", func(t *testing.T) {
		_, err := fetch(mk(map[string]any{"methods": []string{"POST"}}), "/303", map[string]any{"method": "POST", "body": "x"})
		wantErr(t, err, httpcap.ErrMethodNotAllowed, "the redirect would be a GET request")
	})
}

func TestPrivateNetwork(t *testing.T) {
	srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("local " + r.Host)) })
	origin := "http://rebind.test:" + port(t, srv)

	t.Run("name resolving to loopback refused", func(t *testing.T) {
		for _, addrs := range [][]string{{"127.0.0.1"}, {"93.184.215.14", "127.0.0.1"}, {"::ffff:127.0.0.1"}, {"10.1.2.3"}, {"169.254.169.254"}, {"::"}, {"fd00::1"}} {
			inst := newInst(t, props(t, map[string]any{"origins": []string{origin}}), "")
			lookup, calls := lookupTo(addrs...)
			httpcap.SetLookup(inst, lookup)
			_, err := fetch(inst, origin+"/")
			wantErr(t, err, httpcap.ErrPrivateAddress, "the address of rebind.test")
			if calls.Load() == 0 {
				t.Fatal("lookup not used")
			}
		}
		if hits.Load() != 0 {
			t.Fatalf("server hit %d times", hits.Load())
		}
	})
	t.Run("allowed by props", func(t *testing.T) {
		inst := newInst(t, props(t, map[string]any{"origins": []string{origin}, "allow_private_network": true}), "")
		lookup, _ := lookupTo("127.0.0.1")
		httpcap.SetLookup(inst, lookup)
		res := mustFetch(t, inst, "/")
		if res["body"] != "local rebind.test:"+port(t, srv) {
			t.Fatalf("res = %v", res)
		}
	})
	t.Run("literal address in a URL", func(t *testing.T) {
		// A literal private origin is refused by the props check; a
		// public-looking name whose dial lands on a literal is refused at
		// dial time.
		_, err := newInstErr(props(t, map[string]any{"origins": []string{srv.URL}}), "")
		wantErr(t, err, capabilities.ErrProps, "a loopback address; set allow_private_network")
	})
	t.Run("policy", func(t *testing.T) {
		for addr, private := range map[string]bool{
			"127.0.0.1": true, "10.0.0.1": true, "172.16.0.1": true, "192.168.1.1": true, "169.254.169.254": true,
			"0.0.0.0": true, "0.1.2.3": true, "100.64.0.1": true, "224.0.0.1": true, "255.255.255.255": true,
			"::1": true, "::": true, "fe80::1": true, "fc00::1": true, "ff02::1": true, "::ffff:10.0.0.1": true,
			"64:ff9b::7f00:1": true, "2002:7f00:1::": true,
			"93.184.215.14": false, "8.8.8.8": false, "2606:4700::1111": false, "64:ff9b::808:808": false,
		} {
			if got := httpcap.PrivateAddr(netip.MustParseAddr(addr)) != ""; got != private {
				t.Errorf("%s: private = %v, want %v", addr, got, private)
			}
		}
	})
}

func TestTLSDialsCheckedAddressVerifiesName(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("tls " + r.TLS.ServerName))
	}))
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	// The test certificate is for example.com: dialing 127.0.0.1 must
	// still verify the name in the URL.
	origin := "https://example.com:" + port(t, srv)
	inst := newInst(t, props(t, map[string]any{"origins": []string{origin}, "allow_private_network": true}), "")
	lookup, _ := lookupTo("127.0.0.1")
	httpcap.SetLookup(inst, lookup)
	httpcap.SetRootCAs(inst, pool)
	res := mustFetch(t, inst, "/")
	if res["body"] != "tls example.com" {
		t.Fatalf("res = %v", res)
	}
	wrong := "https://wrong.test:" + port(t, srv)
	inst2 := newInst(t, props(t, map[string]any{"origins": []string{wrong}, "allow_private_network": true}), "")
	httpcap.SetLookup(inst2, lookup)
	httpcap.SetRootCAs(inst2, pool)
	_, err := fetch(inst2, "/")
	wantErr(t, err, nil, "certificate")
}

func TestResponseCap(t *testing.T) {
	stopped := make(chan struct{}, 1)
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/exact":
			w.Write(bytes.Repeat([]byte("a"), 1024))
		case "/sized":
			w.Write(bytes.Repeat([]byte("a"), 2048))
		case "/endless":
			chunk := bytes.Repeat([]byte("a"), 4096)
			for {
				if _, err := w.Write(chunk); err != nil {
					stopped <- struct{}{}
					return
				}
				w.(http.Flusher).Flush()
			}
		}
	})
	inst := newInst(t, props(t, map[string]any{"origins": []string{srv.URL}, "allow_private_network": true, "max_response_bytes": 1024}), "")
	if res := mustFetch(t, inst, "/exact"); len(res["body"].(string)) != 1024 {
		t.Fatalf("body of %d bytes", len(res["body"].(string)))
	}
	_, err := fetch(inst, "/sized")
	wantErr(t, err, httpcap.ErrTooLarge, "the response body is 2048 bytes, over max_response_bytes (1024)")
	_, err = fetch(inst, "/endless")
	wantErr(t, err, httpcap.ErrTooLarge, "over max_response_bytes (1024)")
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("the endless response was not cut off")
	}
}

func TestRequestCap(t *testing.T) {
	srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) {})
	inst := newInst(t, props(t, map[string]any{"origins": []string{srv.URL}, "allow_private_network": true,
		"methods": []string{"POST"}, "max_request_bytes": 10}), "")
	mustFetch(t, inst, "/", map[string]any{"method": "POST", "body": "0123456789"})
	_, err := fetch(inst, "/", map[string]any{"method": "POST", "body": []byte("0123456789A")})
	wantErr(t, err, httpcap.ErrTooLarge, "the request body is 11 bytes, over max_request_bytes (10)")
	if hits.Load() != 1 {
		t.Fatalf("server hit %d times", hits.Load())
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow-body" {
			w.Write([]byte("start"))
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	inst := newInst(t, props(t, map[string]any{"origins": []string{srv.URL}, "allow_private_network": true, "timeout": "150ms"}), "")
	for _, path := range []string{"/slow-headers", "/slow-body"} {
		start := time.Now()
		_, err := fetch(inst, path)
		wantErr(t, err, httpcap.ErrTimeout, "timed out after 150ms (the props' timeout)")
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("%s: took %s", path, d)
		}
	}
	// The caller's own cancellation is reported as such.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := capabilities.Call(ctx, inst, "fetch", []any{"/slow-headers"})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, httpcap.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
}

// TestErrorsRedacted checks that an error of the client, whose message
// names the URL it sent (with the credential, for auth type query), reaches
// the agent without it.
func TestErrorsRedacted(t *testing.T) {
	const secret = "tok-0123456789abcdef"
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		// Hijack and drop the connection: the client reports an error.
		c, _, _ := w.(http.Hijacker).Hijack()
		c.Close()
	})
	inst := newInst(t, props(t, map[string]any{"origins": []string{srv.URL}, "allow_private_network": true,
		"auth": map[string]any{"type": "query", "name": "key"}}), secret)
	_, err := fetch(inst, "/drop")
	if err == nil {
		t.Fatal("no error")
	}
	checkNoSecret(t, "error", err.Error(), secret)
	if !strings.Contains(err.Error(), srv.URL+"/drop") {
		t.Fatalf("err = %v, want the agent's URL", err)
	}
}
