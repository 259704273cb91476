package capabilities

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// checked is a kind whose props rules are in CheckProps.
type checked struct {
	Min   int      `json:"min,omitempty" doc:"A lower bound."`
	Max   int      `json:"max,omitempty" doc:"An upper bound."`
	Hosts []string `json:"hosts,omitempty" doc:"Host names."`

	provisioned bool
}

var lastChecked *checked

func (c *checked) Flow() Flow { return Flow{Label: NewLabel(Owner), Audience: NewLabel(Owner)} }
func (c *checked) min(context.Context, []any) (any, error) {
	return float64(c.Min), nil
}
func (c *checked) Provision(context.Context, *Host) error {
	lastChecked = c
	c.provisioned = true
	return nil
}
func (c *checked) CheckProps(refs map[string]string) error {
	var ps Problems
	if c.Min < 0 {
		ps.Addf("min", "min: %d is negative", c.Min)
	}
	if c.Max < c.Min {
		ps.Addf("max", "max: %d is below min", c.Max)
	}
	for i, h := range c.Hosts {
		if h == "" {
			ps.Addf("hosts["+string(rune('0'+i))+"]", "an empty host")
		}
	}
	if refs["token"] == "" && len(c.Hosts) > 0 {
		ps.Add(&PropError{Path: "hosts", Msg: "hosts need the token", Err: ErrNoSecret})
	}
	ps.Add(nil)
	return ps.Err()
}

func init() {
	Register(Kind{
		ID: "test.checked", Doc: "A kind with props rules.",
		New:     func() Instance { return &checked{} },
		Secrets: []SecretSlot{{Name: "token", Doc: "A token.", Optional: true}},
		Table: MustTable(Spec{Interface: "Checked", Doc: "A kind with props rules.", Methods: []Method{{
			Name: "min", Role: Pure, Doc: "Returns min.", TS: "min(): Promise<number>", Fn: Of((*checked).min),
		}}}),
	})
}

func TestCheckProps(t *testing.T) {
	tests := []struct {
		name  string
		props string
		refs  map[string]string
		paths string // the paths of the problems, in order
	}{
		{"right", `{"min": 1, "max": 2}`, nil, ""},
		{"every problem at once", `{"min": -1, "max": -2, "hosts": ["a", ""]}`, nil, "min max hosts[1] hosts"},
		{"a rule tied to a secret slot", `{"hosts": ["a"]}`, map[string]string{"token": "t"}, ""},
		{"a decoding error is about the props as a whole", `{"min": "x"}`, nil, "."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckProps("test.checked", []byte(tt.props), tt.refs)
			var paths []string
			for _, pe := range PropErrors(err) {
				if pe.Path == "" {
					paths = append(paths, ".")
				} else {
					paths = append(paths, pe.Path)
				}
			}
			if strings.Join(paths, " ") != tt.paths {
				t.Fatalf("CheckProps = %v: paths %q, want %q", err, paths, tt.paths)
			}
			if err != nil && !errors.Is(err, ErrProps) {
				t.Fatalf("CheckProps = %v, want ErrProps", err)
			}
		})
	}
}

// TestNewChecksBeforeProvision: New runs CheckProps before Provision, so an
// instance whose props are wrong is never provisioned.
func TestNewChecksBeforeProvision(t *testing.T) {
	lastChecked = nil
	_, err := New(context.Background(), "test.checked", []byte(`{"hosts": ["a"]}`), nil)
	if !errors.Is(err, ErrProps) || !errors.Is(err, ErrNoSecret) || !strings.Contains(err.Error(), "hosts need the token") {
		t.Fatalf("New = %v, want ErrProps and ErrNoSecret", err)
	}
	if lastChecked != nil {
		t.Fatal("New provisioned an instance whose props are wrong")
	}
	if _, err := New(context.Background(), "test.checked", []byte(`{"max": 1}`), nil); err != nil || lastChecked == nil || !lastChecked.provisioned {
		t.Fatalf("New = %v; provisioned %v", err, lastChecked != nil)
	}
}

func TestLimit(t *testing.T) {
	for _, c := range []struct {
		v, want, checked int64 // checked: what CheckLimit returns
		problem          string
	}{
		{v: 0, want: 64, checked: 64},
		{v: 1, want: 1, checked: 1},
		{v: 1000, want: 1000, checked: 1000},
		{v: -1, want: 64, checked: 64, problem: "size is -1, want 1 to 1000 (or 0 for the default 64)"},
		{v: 1001, want: 1001, checked: 64, problem: "size is 1001, want 1 to 1000 (or 0 for the default 64)"},
	} {
		if got := Limit(c.v, 64); got != c.want {
			t.Errorf("Limit(%d, 64) = %d, want %d", c.v, got, c.want)
		}
		var ps Problems
		if checked := CheckLimit(&ps, "size", c.v, 1000, 64); checked != c.checked {
			t.Errorf("CheckLimit(%d) = %d, want %d", c.v, checked, c.checked)
		}
		wantProblem(t, ps, "size", c.problem)
	}
}

// wantProblem checks that ps is the one problem want at path, or none when
// want is "".
func wantProblem(t *testing.T, ps Problems, path, want string) {
	t.Helper()
	errs := PropErrors(ps.Err())
	switch {
	case want == "" && len(errs) != 0:
		t.Errorf("problems %v, want none", errs)
	case want != "" && (len(errs) != 1 || errs[0].Path != path || errs[0].Msg != want):
		t.Errorf("problems %v, want %q at %s", errs, want, path)
	}
}

func TestJSONSize(t *testing.T) {
	for _, c := range []struct {
		v    any
		want int
	}{
		{"hello", 7},
		{"<&>", 5}, // no HTML escaping
		{[]byte{1, 2, 3}, 6},
		{map[string]any{"a": []any{1.0, nil}}, 14}, // {"a":[1,null]}
	} {
		if got, err := JSONSize(c.v); err != nil || got != c.want {
			t.Errorf("JSONSize(%#v) = %d, %v, want %d", c.v, got, err, c.want)
		}
	}
	if _, err := JSONSize(func() {}); err == nil {
		t.Error("JSONSize(a func): no error")
	}
}

func TestCheckJSONSize(t *testing.T) {
	if err := CheckJSONSize("hello", "the note", "max_bytes", 7); err != nil {
		t.Errorf("7 bytes under a cap of 7: %v", err)
	}
	err := CheckJSONSize("hello", "the note", "max_bytes", 6)
	if err == nil || err.Error() != "the note is 7 bytes as JSON, over max_bytes (6)" {
		t.Errorf("7 bytes over a cap of 6: err = %v", err)
	}
	if err := CheckJSONSize(func() {}, "the note", "max_bytes", 100); err == nil {
		t.Error("a func: no error")
	}
}

func TestCheckTimeout(t *testing.T) {
	for _, c := range []struct {
		v       string
		want    time.Duration
		problem string
	}{
		{v: "", want: 15 * time.Second},
		{v: "90s", want: 90 * time.Second},
		{v: "2m", want: 2 * time.Minute},
		{v: "soon", want: 15 * time.Second, problem: `timeout: "soon" is not a duration like "30s"`},
		{v: "0s", want: 15 * time.Second, problem: "timeout: 0s is not more than 0 and at most 2m0s"},
		{v: "-1s", want: 15 * time.Second, problem: "timeout: -1s is not more than 0 and at most 2m0s"},
		{v: "2m1s", want: 15 * time.Second, problem: "timeout: 2m1s is not more than 0 and at most 2m0s"},
	} {
		var ps Problems
		if got := CheckTimeout(&ps, "timeout", c.v, 15*time.Second, 2*time.Minute); got != c.want {
			t.Errorf("CheckTimeout(%q) = %s, want %s", c.v, got, c.want)
		}
		wantProblem(t, ps, "timeout", c.problem)
	}
}
