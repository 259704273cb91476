package sandbox

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// asyncBinding is an AsyncBinding whose methods finish in different ways:
// later on another goroutine, at once inside Start, with an error, with a
// panic in Start, or never (until the invocation ends).
type asyncBinding struct{}

func (asyncBinding) Methods() []string { return []string{"later", "now", "fail", "panic", "never"} }

func (b asyncBinding) Call(ctx context.Context, method string, args []any) (any, error) {
	ch := make(chan any, 1)
	var err error
	b.Start(ctx, method, args, func(v any, e error) { err = e; ch <- v })
	return <-ch, err
}

func (asyncBinding) Start(ctx context.Context, method string, args []any, done func(any, error)) {
	switch method {
	case "later":
		go func() {
			time.Sleep(time.Millisecond)
			done(args[0], nil)
		}()
	case "now":
		done(args[0], nil)
	case "fail":
		done(nil, errors.New("no luck"))
	case "panic":
		panic("oops")
	case "never":
	default:
		done(nil, errors.New("no method "+method))
	}
}

func TestAsyncBinding(t *testing.T) {
	env := map[string]Binding{"a": asyncBinding{}}
	res, err := run(t, `export default { async run(x, env) {
		const out = [await env.a.later(1), await env.a.now(2)];
		out.push(...await Promise.all([env.a.later(3), env.a.now(4), env.a.later(5)]));
		for (const m of ["fail", "panic"]) {
			try { await env.a[m](); out.push("no error") } catch (e) { out.push(e.message) }
		}
		return out
	} }`, nil, env, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{1.0, 2.0, 3.0, 4.0, 5.0, "env.a.fail: no luck", "env.a.panic: internal error in binding: oops"}
	if !reflect.DeepEqual(res.Value, want) {
		t.Fatalf("got %#v\nwant %#v", res.Value, want)
	}
	// A call that never finishes leaves the Promise pending: the invocation
	// ends at its deadline, like one waiting on a slow Call.
	_, err = run(t, `export default { async run(x, env) { await env.a.never() } }`, nil, env, Limits{Deadline: 50 * time.Millisecond})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "deadline" {
		t.Fatalf("never: err = %v, want the deadline", err)
	}
}
