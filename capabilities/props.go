package capabilities

import (
	"errors"
	"fmt"
	"time"
)

// PropError is one problem with an instance's props, naming the prop at
// fault so that the army file can point at it.
type PropError struct {
	// Path names the prop as an army file's field path does, relative to
	// props: "max_redirects", "origins[1]", "auth.name"; empty for the
	// props as a whole.
	Path string
	// Msg says what is wrong, as a whole message naming the prop
	// ("max_redirects: -1 is not between 0 and 20").
	Msg string
	// Err, when set, is a sentinel the error wraps (ErrNoSecret, say).
	Err error
}

// Error returns Msg.
func (e *PropError) Error() string { return e.Msg }

// Unwrap returns Err.
func (e *PropError) Unwrap() error { return e.Err }

// PropErrorf returns a *PropError for the prop at path.
func PropErrorf(path, format string, args ...any) *PropError {
	return &PropError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// PropsChecker is implemented by instances whose props can be checked on
// their own, before provisioning: a kind declares its props' rules once, in
// CheckProps, and the army runs them on every capability of a file (reporting
// each problem at its prop's line and column) before anything is provisioned
// or started, while New runs them before Provision.
//
// CheckProps may fill in what it derives from the props (defaults, parsed
// durations) on the instance, but must have no effect outside it: it reads no
// secret, opens no file and makes no connection. secretRefs maps the kind's
// secret slots to secret names (names only, never values), for rules that tie
// props to slots (auth needs a credential). It returns every problem found,
// each a *PropError, joined with errors.Join; nil when the props are right.
type PropsChecker interface {
	CheckProps(secretRefs map[string]string) error
}

// Problems collects the problems CheckProps finds.
type Problems []error

// Addf adds a problem with the prop at path.
func (p *Problems) Addf(path, format string, args ...any) {
	*p = append(*p, PropErrorf(path, format, args...))
}

// Add adds a problem; an error that is not a *PropError is about the props
// as a whole. A nil error is ignored.
func (p *Problems) Add(err error) {
	if err != nil {
		*p = append(*p, err)
	}
}

// Limit is the value of a size or count prop v (max_value_bytes, max_files)
// for which 0, unset, means def.
func Limit[T ~int | ~int64](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// CheckLimit adds a problem when the size or count prop at path is v outside
// 0 to ceiling; 0 stands for the default def (see Limit). It returns the
// limit v sets: Limit(v, def), or def when v is refused.
func CheckLimit[T ~int | ~int64](ps *Problems, path string, v, ceiling, def T) T {
	if v < 0 || v > ceiling {
		ps.Addf(path, "%s is %d, want 1 to %d (or 0 for the default %d)", path, v, ceiling, def)
		return def
	}
	return Limit(v, def)
}

// CheckTimeout returns the timeout a duration prop at path sets: v parsed as
// a Go duration ("30s"), or def when v is "". It adds a problem, and
// returns def, when v is not a duration above 0 and at most max.
func CheckTimeout(ps *Problems, path, v string, def, max time.Duration) time.Duration {
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		ps.Addf(path, "%s: %q is not a duration like \"30s\"", path, v)
	case d <= 0 || d > max:
		ps.Addf(path, "%s: %s is not more than 0 and at most %s", path, d, max)
	default:
		return d
	}
	return def
}

// Err joins the problems, or returns nil when there are none.
func (p Problems) Err() error { return errors.Join(p...) }

// PropErrors splits an error a PropsChecker (or CheckProps, or New)
// returned into its problems, each a *PropError (an error of another type
// becomes one for the props as a whole).
func PropErrors(err error) []*PropError {
	if err == nil {
		return nil
	}
	var out []*PropError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if e != ErrProps { // the mark CheckProps and New add
				out = append(out, PropErrors(e)...)
			}
		}
		return out
	}
	var pe *PropError
	if errors.As(err, &pe) {
		return []*PropError{pe}
	}
	return []*PropError{{Msg: err.Error(), Err: err}}
}

// CheckProps decodes props of kind id strictly and checks them without
// provisioning (see PropsChecker). It returns the decoding error (wrapping
// ErrProps or ErrUnknownKind) or the problems CheckProps found, joined and
// wrapping ErrProps; nil when the props are right.
func CheckProps(id string, props []byte, secretRefs map[string]string) error {
	inst, _, err := Decode(id, props)
	if err != nil {
		return err
	}
	return checkProps(id, inst, secretRefs)
}

func checkProps(id string, inst Instance, secretRefs map[string]string) error {
	c, ok := inst.(PropsChecker)
	if !ok {
		return nil
	}
	if err := c.CheckProps(secretRefs); err != nil {
		return fmt.Errorf("%s props: %w: %w", id, ErrProps, err)
	}
	return nil
}
