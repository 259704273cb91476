package vault_test

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"littleboxes/vault"
)

// TestRedactEscapedForms is the attack of issue 10: an allowed origin
// reflects the credential it was sent in a form JSON encoders and URLs use,
// and the redactor must still see it.
func TestRedactEscapedForms(t *testing.T) {
	const secret = "gh0/Tk+n3yZ/q8Vw==Ab" // a base64-style token, with '/' and '+'
	r := vault.NewRedactor()
	if err := r.Add("tok", secret); err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString([]byte(secret))
	cases := []struct{ name, form string }{
		{"json slash escaped (php json_encode)", strings.ReplaceAll(secret, "/", `\/`)},
		{"json u-escaped lower", uEscape(secret, false)},
		{"json u-escaped upper", uEscape(secret, true)},
		{"json u-escaped every other", mixEach(secret, func(k int, c rune) string {
			if k%2 == 0 {
				return fmt.Sprintf(`\u%04x`, c)
			}
			return string(c)
		})},
		{"percent lower", pctEscape(secret, "%%%02x")},
		{"percent upper", pctEscape(secret, "%%%02X")},
		{"percent mixed case and literal", mixEach(secret, func(k int, c rune) string {
			switch k % 3 {
			case 0:
				return fmt.Sprintf("%%%02x", c)
			case 1:
				return fmt.Sprintf("%%%02X", c)
			}
			return string(c)
		})},
		{"base64 json slash escaped", strings.ReplaceAll(b64, "/", `\/`)},
		{"base64 percent", pctEscape(b64, "%%%02x")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := `{"echo":"` + c.form + `"}`
			got := r.String(in)
			if got != `{"echo":"[secret:tok]"}` {
				t.Errorf("String(%s) = %s", in, got)
			}
		})
	}
}

// TestRedactEscapedNonASCII: \u escapes stand for characters, percent
// escapes for bytes; a surrogate pair for a character beyond U+FFFF.
func TestRedactEscapedNonASCII(t *testing.T) {
	const secret = "pässwörd-🔑-Ω"
	r := vault.NewRedactor()
	if err := r.Add("pw", secret); err != nil {
		t.Fatal(err)
	}
	for _, form := range []string{uEscape(secret, false), uEscape(secret, true), pctEscape(secret, "%%%02x")} {
		if got := r.String("x" + form + "y"); got != "x[secret:pw]y" {
			t.Errorf("String(%q) = %q", form, got)
		}
	}
}

// TestRedactEscapedRandom is the property: for random secrets, any mix of
// literal, \uXXXX (either case), JSON short escapes and %XX (either case)
// character by character is redacted, whole and through a Writer.
func TestRedactEscapedRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 10))
	const alphabet = "abcXYZ0189/+=_-.~ %\\\"\n\téß€🔑<&"
	chars := []rune(alphabet)
	for n := range 500 {
		var sb strings.Builder
		for range 4 + rng.IntN(40) {
			sb.WriteRune(chars[rng.IntN(len(chars))])
		}
		secret := sb.String()
		r := vault.NewRedactor()
		if err := r.Add("s", secret); err != nil {
			t.Fatal(err)
		}
		form := randomEscape(rng, secret)
		in := "pre " + form + " post"
		if got := r.String(in); got != "pre [secret:s] post" {
			t.Fatalf("case %d: secret %q as %q: String = %q", n, secret, form, got)
		}
		var out strings.Builder
		w := vault.NewWriter(&out, r)
		for i := 0; i < len(in); i += 3 {
			w.Write([]byte(in[i:min(i+3, len(in))]))
		}
		w.Close()
		if out.String() != "pre [secret:s] post" {
			t.Fatalf("case %d: secret %q as %q: Writer = %q", n, secret, form, out.String())
		}
	}
}

// randomEscape writes each character of s as it is or in one of the
// escaped forms, chosen at random.
func randomEscape(rng *rand.Rand, s string) string {
	short := map[rune]string{'/': `\/`, '"': `\"`, '\\': `\\`, '\n': `\n`, '\t': `\t`, '\r': `\r`, '\b': `\b`, '\f': `\f`}
	var sb strings.Builder
	for _, c := range s {
		switch rng.IntN(5) {
		case 0:
			sb.WriteRune(c)
		case 1:
			sb.WriteString(uEscape(string(c), rng.IntN(2) == 0))
		case 2:
			if e, ok := short[c]; ok {
				sb.WriteString(e)
			} else {
				sb.WriteRune(c)
			}
		default:
			var buf [4]byte
			for _, b := range buf[:utf8.EncodeRune(buf[:], c)] {
				if rng.IntN(2) == 0 {
					fmt.Fprintf(&sb, "%%%02x", b)
				} else {
					fmt.Fprintf(&sb, "%%%02X", b)
				}
			}
		}
	}
	return sb.String()
}

func uEscape(s string, upper bool) string {
	f := `\u%04x`
	if upper {
		f = `\u%04X`
	}
	var sb strings.Builder
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&sb, f, u)
	}
	return sb.String()
}

func pctEscape(s, f string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&sb, f, s[i])
	}
	return sb.String()
}

func mixEach(s string, f func(k int, c rune) string) string {
	var sb strings.Builder
	k := 0
	for _, c := range s {
		sb.WriteString(f(k, c))
		k++
	}
	return sb.String()
}

func BenchmarkRedactJSON(b *testing.B) {
	r := vault.NewRedactor()
	for i := range 20 {
		if err := r.Add(fmt.Sprint("tok", i), fmt.Sprintf("token-%02d-%s", i, strings.Repeat("x", 30))); err != nil {
			b.Fatal(err)
		}
	}
	line := strings.Repeat(`{"url":"https:\/\/example.com\/a%20b?q=%C3%A9","text":"say \"hi\"\n\u00e9"},`, 12)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		_ = r.String(line)
	}
}

func BenchmarkRedactHit(b *testing.B) {
	r := vault.NewRedactor()
	for i := range 20 {
		if err := r.Add(fmt.Sprint("tok", i), fmt.Sprintf("token-%02d-%s", i, strings.Repeat("x", 30))); err != nil {
			b.Fatal(err)
		}
	}
	line := strings.Repeat("a line with token-07-"+strings.Repeat("x", 30)+" in it; ", 10)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		_ = r.String(line)
	}
}
