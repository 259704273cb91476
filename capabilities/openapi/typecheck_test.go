package openapi_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestDeclarationTypeChecks type-checks the golden declarations, and an
// agent written against one, with the TypeScript compiler from frontend/:
// the arguments' and results' types are what code is checked against.
func TestDeclarationTypeChecks(t *testing.T) {
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
	good := `export default {
  async run(input: unknown, env: Env): Promise<unknown> {
    const pet = await env.pets.getPet({ petId: "7", "X-Trace": "t" });
    const name: string = pet.name;
    const friends = pet.friends?.map((f) => f.id) ?? [];
    const made = await env.pets.createPet({ body: { name: "Kit", age: 2 } });
    const list = await env.pets.listPets({ limit: 2, tag: ["a"] });
    const gone: null = await env.pets.deletePet({ petId: made.id });
    return { name, friends, n: list.length, gone, up: await env.pets.getStatus() };
  },
};
`
	bad := `export default {
  async run(input: unknown, env: Env): Promise<unknown> {
    return await env.pets.createPet({ body: { age: 2 } });
  },
};
`
	for _, spec := range []string{"petstore-ish.d.ts", "petstore-ish-3.1.d.ts"} {
		t.Run(spec, func(t *testing.T) {
			env, err := filepath.Abs(filepath.Join("testdata", spec))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name, code string
				ok         bool
			}{{"good", good, true}, {"missing body name", bad, false}} {
				dir := t.TempDir()
				agent := filepath.Join(dir, "agent.ts")
				if err := os.WriteFile(agent, []byte(c.code), 0o644); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command(tsc, "--noEmit", "--strict", "--target", "es2022", "--lib", "es2022", "--types", "", env, agent)
				cmd.Dir = dir
				out, err := cmd.CombinedOutput()
				if (err == nil) != c.ok {
					t.Fatalf("%s: tsc err = %v, want ok %v\n%s", c.name, err, c.ok, out)
				}
			}
		})
	}
}
