package vault_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"unicode/utf8"

	"littleboxes/vault"
)

// FuzzRedact checks, for any secret and any text around it, that the
// redacted output carries neither the secret nor its encodings (escaped too) outside the
// markers, and that a Writer fed the text in pieces writes the same output.
func FuzzRedact(f *testing.F) {
	f.Add("s3cr3t-token", "pre s3cr3t-token post", uint8(3))
	f.Add("abcd", "abcabcdd abcd", uint8(1))
	f.Add("line\nbreak", "x line\nbreak y line", uint8(2))
	f.Add("päss wörd", "q=p%C3%A4ss+w%C3%B6rd", uint8(5))
	f.Add("aaaa", "aaaaaaaaa", uint8(2))
	f.Fuzz(func(t *testing.T, secret, text string, chunk uint8) {
		if len(secret) < vault.MinRedactLen || len(secret) > 512 {
			return
		}
		r := vault.NewRedactor()
		if err := r.Add("s", secret); err != nil {
			t.Fatal(err)
		}
		// Plant the secret and its encodings in the text.
		in := text + secret + text + base64.StdEncoding.EncodeToString([]byte(secret)) + " " +
			hex.EncodeToString([]byte(secret)) + text + strings.ReplaceAll(secret, "/", `\/`) + " " +
			uEscape(secret, chunk%2 == 0) + " " + pctEscape(secret, "%%%02x") + text
		out := r.String(in)
		for _, seg := range strings.Split(out, "[secret:s]") {
			for _, form := range []string{secret, base64.StdEncoding.EncodeToString([]byte(secret)), hex.EncodeToString([]byte(secret))} {
				if strings.Contains(seg, form) {
					t.Fatalf("output %q holds %q outside the markers", out, form)
				}
			}
		}
		for _, form := range []string{uEscape(secret, chunk%2 == 0), pctEscape(secret, "%%%02x")} {
			// \u escapes stand for characters: invalid UTF-8 has none.
			if strings.Contains(out, form) && utf8.ValidString(secret) {
				t.Fatalf("output %q holds %q", out, form)
			}
		}
		if got := string(r.Bytes([]byte(in))); got != out {
			t.Fatalf("Bytes = %q, String = %q", got, out)
		}
		var buf bytes.Buffer
		w := vault.NewWriter(&buf, r)
		step := int(chunk)%17 + 1
		for i := 0; i < len(in); i += step {
			if _, err := w.Write([]byte(in[i:min(i+step, len(in))])); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if buf.String() != out {
			t.Fatalf("Writer in chunks of %d = %q, String = %q", step, buf.String(), out)
		}
	})
}
