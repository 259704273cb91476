package flow

import (
	"context"
	"testing"

	"littleboxes/app/army"
	"littleboxes/capabilities"
)

// tableFacts are fakeFacts that also know each instance's method table.
type tableFacts struct {
	fakeFacts
	tables map[string]*capabilities.Table
}

func (f tableFacts) Table(name string) (*capabilities.Table, bool) {
	t, ok := f.tables[name]
	return t, ok
}

// TestInstanceTableDecides checks the analysis reads a binding's roles from
// its instance's table when the facts have one (a dynamic kind's methods are
// known only from its instance), else from its kind's.
func TestInstanceTableDecides(t *testing.T) {
	a := &army.Army{
		Capabilities: []*army.Capability{capability("webhook", "http")},
		Agents:       []*army.Agent{agent("poller", "webhook=webhook")},
	}
	base := fakeFacts{flows: map[string]capabilities.Flow{"webhook": webhookFlow}}
	readOnly := capabilities.MustTable(capabilities.Spec{Interface: "Feed", Doc: "Reads only.", Methods: []capabilities.Method{{
		Name: "read", Role: capabilities.Source, Doc: "Reads.", TS: "read(): Promise<string>",
		Fn: func(context.Context, capabilities.Instance, []any) (any, error) { return "", nil },
	}}})
	tests := []struct {
		name     string
		facts    Facts
		wantSink bool
	}{
		{"the kind's table: fetch is an exchange", base, true},
		{"the instance's table: read only", tableFacts{fakeFacts: base, tables: map[string]*capabilities.Table{"webhook": readOnly}}, false},
		{"facts without this instance's table", tableFacts{fakeFacts: base, tables: map[string]*capabilities.Table{}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			an, err := Analyze(a, tt.facts)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := an.Sink("poller", "webhook"); ok != tt.wantSink {
				t.Fatalf("sink = %v, want %v", ok, tt.wantSink)
			}
			if l, _ := an.Label("poller"); !l.Has(capabilities.Owner) {
				t.Fatalf("label %v", l)
			}
		})
	}
}

// TestStaticFactsTables checks StaticFacts offers each provisioned
// instance's table.
func TestStaticFactsTables(t *testing.T) {
	a, err := army.Parse([]byte(`
name: t
capabilities:
  notes: {kind: kv, props: {namespace: n}}
agents:
  a: {bindings: {notes: notes}, code: "export default {}"}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	f := mustStaticFacts(t, a)
	k, _ := capabilities.Lookup("kv")
	if tb, ok := f.(Tables).Table("notes"); !ok || tb != k.Table {
		t.Fatalf("Table(notes) = %v, %v; want the kv kind's table", tb, ok)
	}
}
