package standard

import (
	"strings"
	"testing"

	"littleboxes/capabilities"
	"littleboxes/capabilities/captest"
)

func TestEveryBuiltinRegistered(t *testing.T) {
	var bs []capabilities.Binding
	for _, id := range IDs {
		k, err := capabilities.Lookup(id)
		if err != nil {
			t.Fatal(err)
		}
		if len(k.Table.Names()) == 0 && !k.Dynamic {
			t.Fatalf("%s declares no methods", id)
		}
		bs = append(bs, capabilities.Binding{Name: strings.ReplaceAll(id, ".", "_"), Kind: id})
	}
	if got := len(capabilities.Kinds()); got != len(IDs) {
		t.Fatalf("%d kinds registered, want %d", got, len(IDs))
	}
	ts, err := capabilities.RenderEnv(bs)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range IDs {
		k, _ := capabilities.Lookup(id)
		if strings.Count(ts, "interface "+k.Table.Interface()+" ") != 1 {
			t.Fatalf("the env declaration has interface %s %d times", k.Table.Interface(), strings.Count(ts, "interface "+k.Table.Interface()+" "))
		}
	}
}

// TestEnvDeclarationCompiles type-checks the env of every built-in kind,
// and an agent using it, with the TypeScript compiler from frontend/.
func TestEnvDeclarationCompiles(t *testing.T) {
	var bs []capabilities.Binding
	for _, id := range IDs {
		bs = append(bs, capabilities.Binding{Name: id, Kind: id})
	}
	ts, err := capabilities.RenderEnv(bs)
	if err != nil {
		t.Fatal(err)
	}
	agent := `export default {
  async run(input: unknown, env: Env): Promise<unknown> {
    const v: string | null = await env.kv.get("k");
    const r = await env.http.fetch("/x", { method: "POST", body: "hi" });
    const s: number = r.status;
    return { v, s };
  },
};
`
	if out, err := captest.TypeCheck(t, ts, agent); err != nil {
		t.Fatalf("tsc: %v\n%s\n--- env.d.ts ---\n%s", err, out, ts)
	}
}
