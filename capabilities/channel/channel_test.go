package channel_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"littleboxes/capabilities"
	"littleboxes/capabilities/captest"
	"littleboxes/capabilities/channel"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConformance(t *testing.T) {
	captest.Check(t, channel.ID)
}

// delivery is one recorded Deliver call.
type delivery struct {
	channel, to string
	msg         any
}

// recorder is a Deliverer that records calls, or fails with Err.
type recorder struct{ captest.Recorder[delivery] }

func (r *recorder) Deliver(_ context.Context, ch, to string, msg any) error {
	return r.Record(delivery{ch, to, msg})
}

func newChannel(t *testing.T, props string, d capabilities.Deliverer) capabilities.Instance {
	t.Helper()
	return captest.MustProvision(t, channel.ID, props, &capabilities.Host{Instance: "to-summarizer", Messages: d})
}

func TestProps(t *testing.T) {
	captest.Props(t, channel.ID, func(*testing.T) *capabilities.Host { return &capabilities.Host{Messages: &recorder{}} }, []captest.PropsCase{
		{Name: "minimal", Props: `{"to": "summarizer"}`},
		{Name: "cap", Props: `{"to": "summarizer", "max_message_bytes": 1024}`},
		{Name: "cap at ceiling", Props: `{"to": "s", "max_message_bytes": 16777216}`},
		{Name: "no props", Props: ``, WantErr: "to is required"},
		{Name: "empty to", Props: `{"to": ""}`, WantErr: "to is required"},
		{Name: "spaces around to", Props: `{"to": " summarizer"}`, WantErr: "spaces around"},
		{Name: "control character", Props: `{"to": "a\nb"}`, WantErr: "control character"},
		{Name: "negative cap", Props: `{"to": "s", "max_message_bytes": -1}`, WantErr: "max_message_bytes is -1"},
		{Name: "cap over ceiling", Props: `{"to": "s", "max_message_bytes": 16777217}`, WantErr: "max_message_bytes is 16777217"},
		{Name: "to not a string", Props: `{"to": ["a"]}`, WantErr: "to"},
		{Name: "unknown field", Props: `{"to": "s", "from": "x"}`, WantErr: `"from"`},
	})
}

func TestFlow(t *testing.T) {
	inst := newChannel(t, `{"to": "summarizer"}`, &recorder{})
	want := capabilities.Flow{
		Label:    capabilities.Label{capabilities.Owner},
		Audience: capabilities.NewLabel(capabilities.Owner, capabilities.Agent("summarizer")),
	}
	if got := inst.Flow(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Flow() = %+v, want %+v", got, want)
	}
	if !inst.Flow().Audience.Has("agent:summarizer") {
		t.Fatal("audience lacks the receiving agent")
	}
	k, _ := capabilities.Lookup(channel.ID)
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

func TestSend(t *testing.T) {
	deep := any("leaf")
	for range channel.MaxDepth + 1 {
		deep = []any{deep}
	}
	cases := []struct {
		name    string
		props   string // default {"to":"summarizer"}
		args    []any
		wantErr string
	}{
		{name: "object", args: []any{map[string]any{"subject": "hi", "n": 3.0, "tags": []any{"a", true, nil}}}},
		{name: "string", args: []any{"hello"}},
		{name: "number", args: []any{42.0}},
		{name: "false", args: []any{false}},
		{name: "bytes", args: []any{[]byte{1, 2, 3}}},
		{name: "empty object", args: []any{map[string]any{}}},
		{name: "at the cap", props: `{"to":"summarizer","max_message_bytes":7}`, args: []any{"hello"}},
		{name: "over the cap", props: `{"to":"summarizer","max_message_bytes":6}`, args: []any{"hello"}, wantErr: `channel send to "summarizer": the message is 7 bytes as JSON, over max_message_bytes (6)`},
		{name: "over the default cap", args: []any{strings.Repeat("x", channel.DefaultMaxMessageBytes)}, wantErr: "over max_message_bytes (65536)"},
		{name: "no message", args: nil, wantErr: `argument 1 (msg): want a message of plain data, got nothing`},
		{name: "null", args: []any{nil}, wantErr: "argument 1 (msg): want a message of plain data, got null"},
		{name: "Go value", args: []any{map[string]any{"a": []any{1.0, struct{}{}}}}, wantErr: "argument 1 (msg): msg.a[1] is a Go struct {}, not plain data"},
		{name: "int", args: []any{3}, wantErr: "msg is a Go int, not plain data"},
		{name: "NaN", args: []any{map[string]any{"x": math.NaN()}}, wantErr: "msg.x is NaN, which JSON cannot carry"},
		{name: "infinity", args: []any{[]any{math.Inf(1)}}, wantErr: "msg[0] is +Inf"},
		{name: "too deep", args: []any{deep}, wantErr: "nests deeper than 100 levels"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			props := c.props
			if props == "" {
				props = `{"to":"summarizer"}`
			}
			r := &recorder{}
			inst := newChannel(t, props, r)
			got, err := capabilities.Call(context.Background(), inst, "send", c.args)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
				}
				if len(r.Calls()) != 0 {
					t.Fatalf("a refused send was delivered: %v", r.Calls())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, map[string]any{"queued": true}) {
				t.Fatalf("result %#v, want {queued: true}", got)
			}
			want := []delivery{{"to-summarizer", "summarizer", c.args[0]}}
			if !reflect.DeepEqual(r.Calls(), want) {
				t.Fatalf("deliveries %+v, want %+v", r.Calls(), want)
			}
		})
	}
}

func TestSendOrder(t *testing.T) {
	r := &recorder{}
	inst := newChannel(t, `{"to":"b"}`, r)
	for _, m := range []string{"one", "two", "three"} {
		if _, err := capabilities.Call(context.Background(), inst, "send", []any{m}); err != nil {
			t.Fatal(err)
		}
	}
	var got []any
	for _, c := range r.Calls() {
		got = append(got, c.msg)
	}
	if !reflect.DeepEqual(got, []any{"one", "two", "three"}) {
		t.Fatalf("delivered %v", got)
	}
}

func TestNoDeliverer(t *testing.T) {
	inst := newChannel(t, `{"to":"summarizer"}`, nil)
	_, err := capabilities.Call(context.Background(), inst, "send", []any{"hi"})
	if !errors.Is(err, capabilities.ErrUnavailable) || !strings.Contains(err.Error(), `channel send to "summarizer": message delivery`) {
		t.Fatalf("err = %v, want ErrUnavailable naming message delivery", err)
	}
}

func TestDeliverError(t *testing.T) {
	boom := errors.New("queue full")
	inst := newChannel(t, `{"to":"summarizer"}`, &recorder{captest.Recorder[delivery]{Err: boom}})
	_, err := capabilities.Call(context.Background(), inst, "send", []any{"hi"})
	if !errors.Is(err, boom) || err.Error() != `channel send to "summarizer": queue full` {
		t.Fatalf("err = %v", err)
	}
}
