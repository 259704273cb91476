package captest

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"littleboxes/capabilities"
)

// PropsCase is one props document for Props: WantErr empty means the props
// are accepted, otherwise refused with an error containing WantErr.
type PropsCase struct {
	Name, Props, WantErr string
}

// Props creates an instance of the kind registered under id from each
// case's props, on the host that host returns (nil for none), and checks that
// it is created when WantErr is empty, and otherwise refused with an error
// wrapping capabilities.ErrProps and containing WantErr. Instances created
// are cleaned up.
func Props(t *testing.T, id string, host func(t *testing.T) *capabilities.Host, cases []PropsCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			var h *capabilities.Host
			if host != nil {
				h = host(t)
			}
			inst, err := capabilities.New(t.Context(), id, []byte(c.Props), h)
			if c.WantErr == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				if err := capabilities.Cleanup(inst); err != nil {
					t.Fatalf("cleanup: %v", err)
				}
				return
			}
			if inst != nil || !errors.Is(err, capabilities.ErrProps) || !strings.Contains(err.Error(), c.WantErr) {
				t.Fatalf("err = %v, want ErrProps containing %q", err, c.WantErr)
			}
		})
	}
}

// Recorder records the calls a fake host facility (a Deliverer, a
// Reporter) receives, or refuses them all with Err. It is safe for
// concurrent use.
type Recorder[C any] struct {
	Err error // when set, Record returns it and records nothing

	mu    sync.Mutex
	calls []C
}

// Record records c, or returns Err.
func (r *Recorder[C]) Record(c C) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Err != nil {
		return r.Err
	}
	r.calls = append(r.calls, c)
	return nil
}

// Calls returns the calls recorded so far, in order.
func (r *Recorder[C]) Calls() []C {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]C(nil), r.calls...)
}
