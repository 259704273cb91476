package openapi_test

import (
	"os"
	"path/filepath"
	"testing"

	"littleboxes/capabilities/captest"
)

// TestDeclarationTypeChecks type-checks the golden declaration, and an
// agent written against one, with the TypeScript compiler from frontend/:
// the arguments' and results' types are what code is checked against.
func TestDeclarationTypeChecks(t *testing.T) {
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
	env, err := os.ReadFile(filepath.Join("testdata", "petstore-ish.d.ts"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, code string
		ok         bool
	}{{"good", good, true}, {"missing body name", bad, false}} {
		out, err := captest.TypeCheck(t, string(env), c.code)
		if (err == nil) != c.ok {
			t.Fatalf("%s: tsc err = %v, want ok %v\n%s", c.name, err, c.ok, out)
		}
	}
}
