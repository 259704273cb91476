package vault

import (
	"context"
	"errors"
	"strings"
	"testing"
)

type leaky struct{ secret string }

func (l leaky) Methods() []string { return []string{"leak", "fail"} }
func (l leaky) Call(_ context.Context, method string, _ []any) (any, error) {
	if method == "fail" {
		return nil, errors.New("upstream said " + l.secret)
	}
	return map[string]any{"echo": []any{l.secret, []byte("x" + l.secret)}, l.secret: "as a key"}, nil
}

func TestRedactBinding(t *testing.T) {
	const secret = "hunter2-very-secret"
	r := NewRedactor()
	if err := r.Add("pw", secret); err != nil {
		t.Fatal(err)
	}
	b := RedactBinding(leaky{secret}, r)
	if got := strings.Join(b.Methods(), ","); got != "leak,fail" {
		t.Fatalf("methods = %s", got)
	}
	res, err := b.Call(context.Background(), "leak", nil)
	if err != nil {
		t.Fatal(err)
	}
	m := res.(map[string]any)
	echo := m["echo"].([]any)
	if echo[0] != "[secret:pw]" || string(echo[1].([]byte)) != "x[secret:pw]" || m["[secret:pw]"] != "as a key" {
		t.Fatalf("result not redacted: %#v", res)
	}
	_, err = b.Call(context.Background(), "fail", nil)
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "[secret:pw]") {
		t.Fatalf("error not redacted: %v", err)
	}
}
