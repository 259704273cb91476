package vault_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"littleboxes/vault"
	"littleboxes/vault/vaulttest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestMemoryConformance(t *testing.T) {
	vaulttest.Run(t, func(t *testing.T) vault.Secrets { return vault.NewMemory(nil) })
}

func TestVaultConformance(t *testing.T) {
	vaulttest.Run(t, func(t *testing.T) vault.Secrets { return vault.New(&vault.Memory{}, nil) })
}

func TestValidateName(t *testing.T) {
	cases := []struct {
		name string
		in   string
		ok   bool
	}{
		{"simple", "github-token", true},
		{"all classes", "A-z_0.9", true},
		{"one char", "x", true},
		{"max length", strings.Repeat("a", vault.MaxNameLen), true},
		{"empty", "", false},
		{"too long", strings.Repeat("a", vault.MaxNameLen+1), false},
		{"space", "a b", false},
		{"colon", "a:b", false},
		{"bracket", "a]b", false},
		{"non-ascii", "é", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := vault.ValidateName(c.in)
			if (err == nil) != c.ok {
				t.Errorf("ValidateName(%q) = %v, want ok=%v", c.in, err, c.ok)
			}
			if err != nil && !errors.Is(err, vault.ErrInvalidName) {
				t.Errorf("error %v does not wrap ErrInvalidName", err)
			}
		})
	}
}

func TestVaultRegistersValues(t *testing.T) {
	ctx := context.Background()
	mem := vault.NewMemory(map[string]string{"api-key": "sk-live-123456"})
	v := vault.New(mem, nil)
	if got := v.Redactor().String("key sk-live-123456"); got != "key sk-live-123456" {
		t.Fatalf("value redacted before it was read: %q", got)
	}
	if _, err := v.Get(ctx, "api-key"); err != nil {
		t.Fatal(err)
	}
	if got := v.Redactor().String("key sk-live-123456"); got != "key [secret:api-key]" {
		t.Errorf("after Get: %q", got)
	}
	if err := v.Set(ctx, "db-pass", "hunter2hunter2"); err != nil {
		t.Fatal(err)
	}
	if err := v.Delete(ctx, "db-pass"); err != nil {
		t.Fatal(err)
	}
	if got := v.Redactor().String("pw=hunter2hunter2"); got != "pw=[secret:db-pass]" {
		t.Errorf("a set then deleted value must stay redacted: %q", got)
	}
}

// leakySecrets fails with the value in its error message.
type leakySecrets struct{ vault.Memory }

func (l *leakySecrets) Set(ctx context.Context, name, value string) error {
	return fmt.Errorf("backend refused %q", value)
}

func TestVaultRedactsErrors(t *testing.T) {
	v := vault.New(&leakySecrets{}, nil)
	err := v.Set(context.Background(), "tok", "very-secret-value")
	if err == nil || strings.Contains(err.Error(), "very-secret-value") {
		t.Errorf("Set error = %v, want it redacted", err)
	}
}

func TestRedactForms(t *testing.T) {
	const secret = "s3cr3t/+?&= tøken"
	b := []byte(secret)
	r := vault.NewRedactor()
	if err := r.Add("tok", secret); err != nil {
		t.Fatal(err)
	}
	jsonStr, _ := json.Marshal(secret)
	cases := []struct {
		name string
		form string
	}{
		{"raw", secret},
		{"base64 std", base64.StdEncoding.EncodeToString(b)},
		{"base64 raw std", base64.RawStdEncoding.EncodeToString(b)},
		{"base64 url", base64.URLEncoding.EncodeToString(b)},
		{"base64 raw url", base64.RawURLEncoding.EncodeToString(b)},
		{"query escaped", url.QueryEscape(secret)},
		{"path escaped", url.PathEscape(secret)},
		{"hex lower", hex.EncodeToString(b)},
		{"hex upper", strings.ToUpper(hex.EncodeToString(b))},
		{"json string", string(jsonStr[1 : len(jsonStr)-1])},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := "before " + c.form + " after"
			got := r.String(in)
			if got != "before [secret:tok] after" {
				t.Errorf("String(%q) = %q", in, got)
			}
			if got := string(r.Bytes([]byte(in))); got != "before [secret:tok] after" {
				t.Errorf("Bytes(%q) = %q", in, got)
			}
		})
	}
}

func TestRedactBasicAuth(t *testing.T) {
	r := vault.NewRedactor()
	const pass = "correct-horse-battery-staple"
	if err := r.Add("mail-pass", pass); err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"a", "ab", "abc", "owner@example.com"} {
		t.Run(user, func(t *testing.T) {
			header := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
			got := r.String(header)
			if !strings.Contains(got, "[secret:mail-pass]") {
				t.Fatalf("String(%q) = %q: base64 of user:password not redacted", header, got)
			}
			// What is left must not decode to the password.
			rest := strings.ReplaceAll(strings.TrimPrefix(got, "Authorization: Basic "), "[secret:mail-pass]", "")
			if dec, _ := base64.StdEncoding.DecodeString(rest); bytes.Contains(dec, []byte(pass)) {
				t.Errorf("remaining %q still decodes to the password", rest)
			}
		})
	}
}

func TestRedactCases(t *testing.T) {
	r := vault.NewRedactor()
	for name, v := range map[string]string{
		"short": "abc",          // too short: ignored
		"four":  "wxyz",         // the minimum
		"inner": "secret",       // inside "outer"'s value
		"outer": "my-secret-42", // longest match first
		"multi": "line1\nline2",
	} {
		if err := r.Add(name, v); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, in, want string
	}{
		{"nothing", "plain text", "plain text"},
		{"empty", "", ""},
		{"too short ignored", "abc abc", "abc abc"},
		{"minimum length", "wxyz", "[secret:four]"},
		{"longest first", "x my-secret-42 y", "x [secret:outer] y"},
		{"inner alone", "a secret b", "a [secret:inner] b"},
		{"adjacent", "secretsecret", "[secret:inner][secret:inner]"},
		{"overlapping keeps leftmost", "wxyzwxyz", "[secret:four][secret:four]"},
		{"newline in value", "got line1\nline2!", "got [secret:multi]!"},
		{"json escaped newline", `{"v":"line1\nline2"}`, `{"v":"[secret:multi]"}`},
		{"at edges", "secret", "[secret:inner]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := r.String(c.in); got != c.want {
				t.Errorf("String(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestRedactAddRemove(t *testing.T) {
	var r vault.Redactor // the zero value works
	if got := r.String("token-1234"); got != "token-1234" {
		t.Errorf("empty redactor changed %q", got)
	}
	if err := r.Add("bad name", "token-1234"); !errors.Is(err, vault.ErrInvalidName) {
		t.Errorf("Add with a bad name = %v", err)
	}
	if err := r.Add("tok", "token-1234"); err != nil {
		t.Fatal(err)
	}
	if err := r.Add("tok", "token-5678"); err != nil {
		t.Fatal(err)
	}
	if got := r.String("token-1234 token-5678"); got != "[secret:tok] [secret:tok]" {
		t.Errorf("old and new values: %q", got)
	}
	r.Remove("tok")
	if got := r.String("token-1234"); got != "token-1234" {
		t.Errorf("after Remove: %q", got)
	}
}

func TestRedactValue(t *testing.T) {
	r := vault.NewRedactor()
	if err := r.Add("k", "sekrit-value"); err != nil {
		t.Fatal(err)
	}
	in := map[string]any{
		"plain":        "ok",
		"sekrit-value": "key is the secret",
		"nested": []any{
			"a sekrit-value here",
			map[string]any{"deep": []byte("bytes sekrit-value")},
			42.0, true, nil,
			map[string]string{"m": "sekrit-value"},
			[]string{"sekrit-value", "x"},
			json.RawMessage(`"sekrit-value"`),
		},
	}
	want := map[string]any{
		"plain":      "ok",
		"[secret:k]": "key is the secret",
		"nested": []any{
			"a [secret:k] here",
			map[string]any{"deep": []byte("bytes [secret:k]")},
			42.0, true, nil,
			map[string]string{"m": "[secret:k]"},
			[]string{"[secret:k]", "x"},
			json.RawMessage(`"[secret:k]"`),
		},
	}
	got := r.Value(in)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Value =\n%#v\nwant\n%#v", got, want)
	}
	if in["nested"].([]any)[0] != "a sekrit-value here" {
		t.Error("Value modified its input")
	}
}

func TestRedactError(t *testing.T) {
	r := vault.NewRedactor()
	if err := r.Add("k", "sekrit-value"); err != nil {
		t.Fatal(err)
	}
	base := errors.New("auth failed for sekrit-value")
	err := r.Error(fmt.Errorf("call: %w", base))
	if err.Error() != "call: auth failed for [secret:k]" {
		t.Errorf("Error() = %q", err)
	}
	if !errors.Is(err, base) {
		t.Error("redacted error does not unwrap")
	}
	clean := errors.New("clean")
	if r.Error(clean) != clean || r.Error(nil) != nil {
		t.Error("an error with nothing to redact must be returned as is")
	}
}

// TestSever: a severed error says the redacted message and matches the
// sentinels the original matched, but never unwraps to the original, whose
// fields may hold the secret.
func TestSever(t *testing.T) {
	errLimit, errAuth := errors.New("over the limit"), errors.New("auth failed")
	orig := &url.Error{Op: "Get", URL: "https://api.test/?key=sekrit-value", Err: fmt.Errorf("status 401: %w", errAuth)}
	err := vault.Sever(orig, "Get [redacted]: status 401", errLimit, errAuth)
	if err.Error() != "Get [redacted]: status 401" {
		t.Errorf("Error() = %q", err)
	}
	if !errors.Is(err, errAuth) || errors.Is(err, errLimit) {
		t.Error("the severed error matches other sentinels than the original")
	}
	var ue *url.Error
	if errors.As(err, &ue) || errors.Is(err, orig) {
		t.Fatal("the severed error unwraps to the original, secret and all")
	}
}

func TestWriterSplitWrites(t *testing.T) {
	r := vault.NewRedactor()
	for name, v := range map[string]string{"tok": "tok-ABCDEFGH", "pem": "-----BEGIN KEY-----\nQUJD\n-----END KEY-----"} {
		if err := r.Add(name, v); err != nil {
			t.Fatal(err)
		}
	}
	stream := "log: tok-ABCDEFGH done\nkey=-----BEGIN KEY-----\nQUJD\n-----END KEY-----\nhex " +
		hex.EncodeToString([]byte("tok-ABCDEFGH")) + "\ntail tok-ABC"
	want := r.String(stream)
	if strings.Contains(want, "ABCDEFGH") || strings.Contains(want, "QUJD") {
		t.Fatalf("String left a secret: %q", want)
	}
	for _, size := range []int{1, 2, 3, 5, 7, 13, 64, len(stream)} {
		t.Run(fmt.Sprint("chunks of ", size), func(t *testing.T) {
			var out bytes.Buffer
			w := vault.NewWriter(&out, r)
			for i := 0; i < len(stream); i += size {
				n, err := w.Write([]byte(stream[i:min(i+size, len(stream))]))
				if err != nil || n != min(size, len(stream)-i) {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if out.String() != want {
				t.Errorf("Writer wrote %q,\nwant %q", out.String(), want)
			}
		})
	}
}

func TestWriterHoldsBackLittle(t *testing.T) {
	r := vault.NewRedactor()
	if err := r.Add("tok", "tok-ABCDEFGH"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := vault.NewWriter(&out, r)
	fmt.Fprint(w, "a complete line\n")
	if out.String() != "a complete line\n" {
		t.Errorf("a line that cannot start a secret was held back: %q", out.String())
	}
	fmt.Fprint(w, "then tok-AB")
	if out.String() != "a complete line\nthen " {
		t.Errorf("after a possible secret start: %q", out.String())
	}
	fmt.Fprint(w, "X")
	if out.String() != "a complete line\nthen tok-ABX" {
		t.Errorf("once it cannot be a secret: %q", out.String())
	}
}

func TestWriterConcurrent(t *testing.T) {
	r := vault.NewRedactor()
	if err := r.Add("tok", "tok-ABCDEFGH"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := vault.NewWriter(&out, r)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				fmt.Fprint(w, "x tok-ABCDEFGH y\n")
			}
		})
	}
	wg.Wait()
	w.Close()
	if strings.Contains(out.String(), "ABCDEFGH") || strings.Count(out.String(), "[secret:tok]") != 400 {
		t.Errorf("concurrent writes: %d markers, secret present %v", strings.Count(out.String(), "[secret:tok]"), strings.Contains(out.String(), "ABCDEFGH"))
	}
}

func TestRedactLogf(t *testing.T) {
	r := vault.NewRedactor()
	if err := r.Add("tok", "tok-ABCDEFGH"); err != nil {
		t.Fatal(err)
	}
	var lines []string
	logf := vault.RedactLogf(r, func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) })
	logf("calling with %s and %d%%", "tok-ABCDEFGH", 5)
	if len(lines) != 1 || lines[0] != "calling with [secret:tok] and 5%" {
		t.Errorf("logged %q", lines)
	}
}

func BenchmarkRedactString(b *testing.B) {
	r := vault.NewRedactor()
	for i := range 20 {
		if err := r.Add(fmt.Sprint("tok", i), fmt.Sprintf("token-%02d-%s", i, strings.Repeat("x", 30))); err != nil {
			b.Fatal(err)
		}
	}
	line := strings.Repeat("an ordinary log line with nothing secret in it; ", 20)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		_ = r.String(line)
	}
}

// TestRedactorOf: a Redactor of one secret redacts it and its encodings; a
// value too short to redact gives the nil Redactor, which changes nothing.
func TestRedactorOf(t *testing.T) {
	r, err := vault.RedactorOf("credential", "tok-0123456789abcdef")
	if err != nil || r == nil {
		t.Fatalf("RedactorOf = %v, %v", r, err)
	}
	if got := r.String(`{"auth":"Bearer tok-0123456789abcdef","enc":"tok%2D0123456789abcdef"}`); got != `{"auth":"Bearer [secret:credential]","enc":"[secret:credential]"}` {
		t.Errorf("String = %s", got)
	}
	short, err := vault.RedactorOf("credential", "abc")
	if err != nil || short != nil {
		t.Fatalf("RedactorOf(a short value) = %v, %v, want nil, nil", short, err)
	}
	boom := errors.New("abc failed")
	if short.String("abc") != "abc" || string(short.Bytes([]byte("abc"))) != "abc" || short.Error(boom) != boom {
		t.Error("a nil Redactor changed something")
	}
	if _, err := vault.RedactorOf("not a name!", "tok-0123456789abcdef"); err == nil {
		t.Error("RedactorOf with an invalid name: no error")
	}
}
