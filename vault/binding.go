package vault

import "context"

// Binding is what an agent calls: named methods on plain data. A sandbox
// binding and a capability instance both have this method set.
type Binding interface {
	Methods() []string
	Call(ctx context.Context, method string, args []any) (any, error)
}

// RedactBinding wraps b so that every result and every error it returns has
// each known secret redacted before it can reach JavaScript: the vault's
// defence in depth on the path into an isolate, whatever the binding itself
// forgets to scrub.
func RedactBinding(b Binding, r *Redactor) Binding {
	return redactingBinding{b: b, r: r}
}

type redactingBinding struct {
	b Binding
	r *Redactor
}

func (rb redactingBinding) Methods() []string { return rb.b.Methods() }

func (rb redactingBinding) Call(ctx context.Context, method string, args []any) (any, error) {
	res, err := rb.b.Call(ctx, method, args)
	if err != nil {
		return nil, rb.r.Error(err)
	}
	return rb.r.Value(res), nil
}
