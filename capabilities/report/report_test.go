package report_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"littleboxes/capabilities"
	"littleboxes/capabilities/captest"
	"littleboxes/capabilities/report"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConformance(t *testing.T) {
	captest.Check(t, report.ID)
}

// sent is one recorded Report call.
type sent struct {
	from string
	msg  any
}

// recorder is a Reporter that records calls, or fails with Err.
type recorder struct{ captest.Recorder[sent] }

func (r *recorder) Report(_ context.Context, from string, msg any) error {
	return r.Record(sent{from, msg})
}

func newReport(t *testing.T, props string, r capabilities.Reporter) capabilities.Instance {
	t.Helper()
	return captest.MustProvision(t, report.ID, props, &capabilities.Host{Instance: "daily", Reports: r})
}

func TestProps(t *testing.T) {
	captest.Props(t, report.ID, func(*testing.T) *capabilities.Host { return &capabilities.Host{Reports: &recorder{}} }, []captest.PropsCase{
		{Name: "none", Props: ``},
		{Name: "empty", Props: `{}`},
		{Name: "cap", Props: `{"max_bytes": 100}`},
		{Name: "cap at ceiling", Props: `{"max_bytes": 16777216}`},
		{Name: "negative cap", Props: `{"max_bytes": -1}`, WantErr: "max_bytes is -1"},
		{Name: "cap over ceiling", Props: `{"max_bytes": 16777217}`, WantErr: "max_bytes is 16777217"},
		{Name: "cap not a number", Props: `{"max_bytes": "1k"}`, WantErr: "max_bytes"},
		{Name: "unknown field", Props: `{"to": "someone"}`, WantErr: `"to"`},
	})
}

func TestFlow(t *testing.T) {
	inst := newReport(t, `{}`, &recorder{})
	owner := capabilities.Label{capabilities.Owner}
	if got, want := inst.Flow(), (capabilities.Flow{Label: owner, Audience: owner}); !reflect.DeepEqual(got, want) {
		t.Fatalf("Flow() = %+v, want %+v", got, want)
	}
	k, _ := capabilities.Lookup(report.ID)
	if m, ok := k.Table.Method("send"); !ok || m.Role != capabilities.Sink {
		t.Fatalf("send: %+v, want a sink", m)
	}
	if got := capabilities.TableOf(inst).Names(); !reflect.DeepEqual(got, []string{"send"}) {
		t.Fatalf("Methods() = %q", got)
	}
	if len(k.Secrets) != 0 {
		t.Fatalf("secret slots %v, want none", k.Secrets)
	}
}

func want(title, body, level string) map[string]any {
	return map[string]any{"title": title, "body": body, "level": level}
}

func TestSend(t *testing.T) {
	cases := []struct {
		name    string
		props   string // default {}
		args    []any
		want    map[string]any
		wantErr string
	}{
		{name: "text", args: []any{"3 new invoices"}, want: want("", "3 new invoices", "info")},
		{name: "object", args: []any{map[string]any{"title": "Invoices", "body": "3 new", "level": "warn"}}, want: want("Invoices", "3 new", "warn")},
		{name: "body only", args: []any{map[string]any{"body": "done"}}, want: want("", "done", "info")},
		{name: "urgent", args: []any{map[string]any{"body": "the server is down", "level": "urgent"}}, want: want("", "the server is down", "urgent")},
		{name: "null title and level", args: []any{map[string]any{"title": nil, "body": "b", "level": nil}}, want: want("", "b", "info")},
		{name: "at the cap", props: `{"max_bytes": 40}`, args: []any{"abc"}, want: want("", "abc", "info")},
		{name: "over the cap", props: `{"max_bytes": 39}`, args: []any{"abc"}, wantErr: "report send: the report is 40 bytes as JSON, over max_bytes (39)"},
		{name: "over the default cap", args: []any{strings.Repeat("x", report.DefaultMaxBytes)}, wantErr: "over max_bytes (65536)"},
		{name: "title counts", props: `{"max_bytes": 40}`, args: []any{map[string]any{"title": "long title", "body": "abc"}}, wantErr: "over max_bytes (40)"},
		{name: "no report", args: nil, wantErr: "argument 1 (report): want a string or an object {title?, body, level?}, got nothing"},
		{name: "number", args: []any{7.0}, wantErr: "argument 1 (report): want a string or an object {title?, body, level?}, got the number 7"},
		{name: "array", args: []any{[]any{"a"}}, wantErr: "got an array"},
		{name: "empty text", args: []any{""}, wantErr: "report send: argument 1 (report): the body is empty"},
		{name: "blank text", args: []any{" \n\t"}, wantErr: "the body is empty"},
		{name: "missing body", args: []any{map[string]any{"title": "t"}}, wantErr: "argument 1 (report): the body is missing"},
		{name: "empty body", args: []any{map[string]any{"body": ""}}, wantErr: "the body is empty"},
		{name: "body not a string", args: []any{map[string]any{"body": map[string]any{}}}, wantErr: "argument 1 (report.body): want a string, got an object"},
		{name: "title not a string", args: []any{map[string]any{"title": 1.0, "body": "b"}}, wantErr: "argument 1 (report.title): want a string, got the number 1"},
		{name: "bad level", args: []any{map[string]any{"body": "b", "level": "error"}}, wantErr: `argument 1 (report.level): want "info", "warn" or "urgent", got a string`},
		{name: "unknown field", args: []any{map[string]any{"body": "b", "message": "m"}}, wantErr: `unknown field "message" (known: title, body, level)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			props := c.props
			if props == "" {
				props = `{}`
			}
			r := &recorder{}
			inst := newReport(t, props, r)
			got, err := capabilities.Call(context.Background(), inst, "send", c.args)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
				}
				if len(r.Calls()) != 0 {
					t.Fatalf("a refused report was sent: %v", r.Calls())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != nil {
				t.Fatalf("result %#v, want null", got)
			}
			if w := []sent{{"daily", c.want}}; !reflect.DeepEqual(r.Calls(), w) {
				t.Fatalf("reports %+v, want %+v", r.Calls(), w)
			}
		})
	}
}

func TestNoReporter(t *testing.T) {
	inst := newReport(t, `{}`, nil)
	_, err := capabilities.Call(context.Background(), inst, "send", []any{"hi"})
	if !errors.Is(err, capabilities.ErrUnavailable) || !strings.Contains(err.Error(), "report send: the reports feed") {
		t.Fatalf("err = %v, want ErrUnavailable naming the reports feed", err)
	}
}

func TestReporterError(t *testing.T) {
	boom := errors.New("feed closed")
	inst := newReport(t, `{}`, &recorder{captest.Recorder[sent]{Err: boom}})
	_, err := capabilities.Call(context.Background(), inst, "send", []any{"hi"})
	if !errors.Is(err, boom) || err.Error() != "report send: feed closed" {
		t.Fatalf("err = %v", err)
	}
}
