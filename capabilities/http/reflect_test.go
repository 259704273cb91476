package httpcap_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	httpcap "littleboxes/capabilities/http"
)

// TestCredentialReflectedEscaped is issue 10's attack: the allowed origin
// reflects the credential it was sent in a form the redactor must still
// see (PHP's json_encode escapes "/" as "\/"; other encoders write \uXXXX;
// percent-encoding may be lower case).
func TestCredentialReflectedEscaped(t *testing.T) {
	const secret = "gh0/Tk+n3yZ/q8Vw==Ab/x9" // base64-style, with '/' and '+'
	escape := map[string]func(string) string{
		"json slash": func(s string) string { return strings.ReplaceAll(s, "/", `\/`) },
		"json u-escape": func(s string) string {
			var sb strings.Builder
			for _, c := range s {
				fmt.Fprintf(&sb, `\u%04x`, c)
			}
			return sb.String()
		},
		"percent lower": func(s string) string {
			var sb strings.Builder
			for i := 0; i < len(s); i++ {
				if i%2 == 0 {
					fmt.Fprintf(&sb, "%%%02x", s[i])
				} else {
					sb.WriteByte(s[i])
				}
			}
			return sb.String()
		},
	}
	for name, esc := range escape {
		t.Run(name, func(t *testing.T) {
			srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
				tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Echo", esc(tok))
				fmt.Fprintf(w, `{"you_sent":"%s"}`, esc(tok))
			})
			inst := newInst(t, props(t, map[string]any{"origins": []string{srv.URL}, "allow_private_network": true,
				"auth": map[string]any{"type": "bearer"}}), secret)
			res := mustFetch(t, inst, "/")
			body := res["body"].(string)
			if body != `{"you_sent":"`+httpcap.Marker+`"}` {
				t.Errorf("body = %s", body)
			}
			if h := res["headers"].(map[string]any)["x-echo"]; h != httpcap.Marker {
				t.Errorf("header = %v", h)
			}
		})
	}
}

// TestCredentialNeverPublic: what an authenticated request returns is the
// owner's (and the one origin's), whatever the label prop says.
func TestCredentialNeverPublic(t *testing.T) {
	cases := []struct {
		name   string
		props  map[string]any
		secret string
		label  string
	}{
		{"public without credential", map[string]any{"origins": []string{"https://api.example.com"}, "label": "public"}, "", "public"},
		{"public with credential, one origin", map[string]any{"origins": []string{"https://api.example.com"}, "label": "public",
			"auth": map[string]any{"type": "bearer"}}, "tok-0123456789", "origin:https://api.example.com owner"},
		{"public with credential, two origins", map[string]any{"origins": []string{"https://a.example.com", "https://b.example.com"},
			"label": "public", "auth": map[string]any{"type": "header", "name": "X-Key"}}, "tok-0123456789", "owner"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inst := newInst(t, props(t, c.props), c.secret)
			if got := strings.Join(inst.Flow().Label.Strings(), " "); got != c.label {
				t.Errorf("label = %s, want %s", got, c.label)
			}
		})
	}
}
