package standard

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"littleboxes/capabilities"
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
	tsc, err := filepath.Abs("../../frontend/node_modules/.bin/tsc")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tsc); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tsc not found at %s: run npm ci in frontend/ first", tsc)
		}
		t.Skipf("tsc not installed (%v); run npm ci in frontend/", err)
	}
	var bs []capabilities.Binding
	for _, id := range IDs {
		bs = append(bs, capabilities.Binding{Name: id, Kind: id})
	}
	ts, err := capabilities.RenderEnv(bs)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	agent := `export default {
  async run(input: unknown, env: Env): Promise<unknown> {
    const v: string | null = await env.kv.get("k");
    const r = await env.http.fetch("/x", { method: "POST", body: "hi" });
    const s: number = r.status;
    return { v, s };
  },
};
`
	if err := os.WriteFile(filepath.Join(dir, "env.d.ts"), []byte(ts), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "agent.ts"), []byte(agent), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tsc, "--noEmit", "--strict", "--target", "es2022", "--lib", "es2022", "--types", "", filepath.Join(dir, "env.d.ts"), filepath.Join(dir, "agent.ts"))
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tsc: %v\n%s\n--- env.d.ts ---\n%s", err, out, ts)
	}
}
