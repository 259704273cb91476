package captest

import (
	"context"
	"testing"

	"littleboxes/capabilities"
)

// ops is a dynamic kind registered only in these tests: an instance's
// methods are the operations its props name, known once it is provisioned,
// as an OpenAPI spec's operations are.
type ops struct {
	Operations []string `json:"operations" doc:"The operations' names."`

	table *capabilities.Table
}

func (o *ops) Flow() capabilities.Flow {
	return capabilities.Flow{Label: capabilities.NewLabel(capabilities.Owner), Audience: capabilities.NewLabel(capabilities.Owner)}
}

// Table implements capabilities.Tabler.
func (o *ops) Table() *capabilities.Table { return o.table }

// Provision implements capabilities.Provisioner: it builds the table.
func (o *ops) Provision(context.Context, *capabilities.Host) error {
	var ms []capabilities.Method
	for _, name := range o.Operations {
		ms = append(ms, capabilities.Method{
			Name: name, Role: capabilities.Exchange, Doc: "Calls the operation " + name + ".",
			TS:     name + "(params: object, body?: string): Promise<unknown>",
			Params: []capabilities.Param{{Name: "params", Type: capabilities.TypeObject}, {Name: "body", Type: capabilities.TypeString, Optional: true}},
			Fn: func(_ context.Context, _ capabilities.Instance, args []any) (any, error) {
				return map[string]any{"operation": name, "params": args[0]}, nil
			},
		})
	}
	t, err := capabilities.NewTable(capabilities.Spec{Interface: "Ops", Doc: "The operations of this API.", Methods: ms})
	if err != nil {
		return err
	}
	o.table = t
	return nil
}

func init() {
	capabilities.Register(capabilities.Kind{
		ID: "captest.ops", Doc: "A dynamic kind for captest's own tests.", New: func() capabilities.Instance { return &ops{} },
		Table: capabilities.MustTable(capabilities.Spec{Interface: "Ops", Doc: "The operations of an API, known once provisioned."}), Dynamic: true,
	})
}

func TestDynamicKind(t *testing.T) {
	Check(t, "captest.ops")
	inst, err := capabilities.New(context.Background(), "captest.ops", []byte(`{"operations": ["listPets", "getPet"]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	CheckTable(t, inst)
	got, err := capabilities.Call(context.Background(), inst, "getPet", []any{map[string]any{"id": "1"}})
	if err != nil || got.(map[string]any)["operation"] != "getPet" {
		t.Fatalf("getPet = %v, %v", got, err)
	}
}
