package llm

import (
	"encoding/base64"
	"strings"
	"testing"

	"littleboxes/vault"
)

const fuzzKey = "sk-fuzz-0123456789abcdefghijklmnop"

// FuzzParseReply feeds arbitrary responses to the parser: it never panics,
// and the key never appears in what it returns or in its error.
func FuzzParseReply(f *testing.F) {
	for _, seed := range []string{
		`{"model":"m","choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1}}`,
		`{"error":{"message":"bad key ` + fuzzKey + `","type":"x","code":"invalid_api_key"}}`,
		`{"error":"` + fuzzKey + `"}`,
		`{"choices":[{"message":{"content":"\u0073k-fuzz-0123456789abcdefghijklmnop"}}]}`,
		`{"choices":[]}`, `{"choices":[{"message":null}]}`, `null`, `[]`, ``,
		`<html>` + base64.StdEncoding.EncodeToString([]byte("Bearer "+fuzzKey)) + `</html>`,
	} {
		f.Add(200, []byte(seed))
		f.Add(401, []byte(seed))
	}
	red := newRedactor(fuzzKey)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		status = 100 + (status%500+500)%500
		out, err := parseReply(status, "/"+string(body), body, red, "m")
		if (out == nil) == (err == nil) {
			t.Fatalf("out = %v, err = %v: want exactly one", out, err)
		}
		var text string
		if err != nil {
			text = err.Error()
		} else {
			m := out.(map[string]any)
			text = m["content"].(string) + m["finish_reason"].(string) + m["model"].(string)
		}
		if strings.Contains(text, fuzzKey) {
			t.Fatalf("key in %q", text)
		}
	})
}

func TestRedactorForms(t *testing.T) {
	if newRedactor("") != nil || newRedactor("abc") != nil {
		t.Fatal("short keys are not redacted")
	}
	var nilRed *vault.Redactor
	if nilRed.String("x") != "x" || redactErr(nilRed, nil) != nil {
		t.Fatal("a nil redactor changes nothing")
	}
	r := newRedactor(fuzzKey)
	for _, f := range vault.Forms(fuzzKey) {
		if got := r.String("<" + f + ">"); got != "<"+Marker+">" {
			t.Errorf("form %q redacted as %q", f, got)
		}
	}
	// Unaligned base64: the key inside a longer encoded text.
	for _, prefix := range []string{"", "a", "ab", "Bearer ", "user:"} {
		enc := base64.StdEncoding.EncodeToString([]byte(prefix + fuzzKey + "tail"))
		if got := r.String(enc); !strings.Contains(got, Marker) {
			t.Errorf("base64(%q+key) not redacted: %s", prefix, got)
		}
	}
}
