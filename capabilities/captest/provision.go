package captest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"littleboxes/capabilities"
)

// Bounds of the helpers below, so that a kind that hangs (an MCP server that
// never answers) fails its test instead of stalling the run.
const (
	provisionBound = 20 * time.Second
	callBound      = 15 * time.Second
)

// Provision creates an instance of the kind registered under id from props,
// on host h (nil for none), and has the test clean it up when it ends (a
// failed cleanup fails the test). The error is capabilities.New's, for
// tests of what it refuses.
func Provision(t testing.TB, id, props string, h *capabilities.Host) (capabilities.Instance, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), provisionBound)
	defer cancel()
	inst, err := capabilities.New(ctx, id, []byte(props), h)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		if err := capabilities.Cleanup(inst); err != nil {
			t.Errorf("cleanup of %s %s: %v", id, props, err)
		}
	})
	return inst, nil
}

// MustProvision is Provision for props that must be accepted: an error
// fails the test.
func MustProvision(t testing.TB, id, props string, h *capabilities.Host) capabilities.Instance {
	t.Helper()
	inst, err := Provision(t, id, props, h)
	if err != nil {
		t.Fatalf("new %s %s: %v", id, props, err)
	}
	return inst
}

// Call calls method on inst with args, as the sandbox would.
func Call(inst capabilities.Instance, method string, args ...any) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callBound)
	defer cancel()
	return capabilities.Call(ctx, inst, method, args)
}

// MustCall is Call for a call that must succeed: an error fails the test.
func MustCall(t testing.TB, inst capabilities.Instance, method string, args ...any) any {
	t.Helper()
	got, err := Call(inst, method, args...)
	if err != nil {
		t.Fatalf("%s%q: %v", method, args, err)
	}
	return got
}

// JSON is v encoded as JSON, for comparing results in a test; a value
// that does not encode is "" (and compares unequal to any expected JSON).
func JSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// CallErr is Call for a call that must fail with an error containing want;
// it returns the error, for further checks.
func CallErr(t testing.TB, inst capabilities.Instance, want, method string, args ...any) error {
	t.Helper()
	got, err := Call(inst, method, args...)
	if err == nil {
		t.Fatalf("%s%q = %#v, want an error containing %q", method, args, got, want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("%s%q: err = %v, want one containing %q", method, args, err, want)
	}
	return err
}

// Fill returns h, or a new Host when h is nil, with the capability's name
// instance and the secrets where h leaves them unset: the host most of a
// kind's tests provision on, which a test overrides by setting its own.
func Fill(h *capabilities.Host, instance string, secrets capabilities.Secrets) *capabilities.Host {
	if h == nil {
		h = &capabilities.Host{}
	}
	if h.Secrets == nil {
		h.Secrets = secrets
	}
	if h.Instance == "" {
		h.Instance = instance
	}
	return h
}
