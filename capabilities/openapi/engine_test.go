package openapi_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"littleboxes/app/army"
	"littleboxes/app/engine"
	"littleboxes/app/store/storetest"
	"littleboxes/capabilities/captest"
	"littleboxes/sandbox/cell"
)

// The agents of TestAgentInCell run in cells: this test binary.
func TestMain(m *testing.M) {
	cell.MaybeServe()
	goleak.VerifyTestMain(m)
}

const cellArmy = `
name: pets
capabilities:
  pets:
    kind: openapi
    props:
      spec: ./petstore-ish.yaml
      origin: PETS
      operations: [getPet, createPet, "GET /status"]
      allow_private_network: true
  other:
    kind: openapi
    props: {spec: ./petstore-ish.yaml, origin: OTHER, operations: ["GET /status"], allow_private_network: true}
agents:
  reader:
    triggers: [manual]
    bindings: {pets: pets}
    code: |
      export default { async run(input, env) {
        const pet = await env.pets.getPet({ petId: "7" });
        let refused = "";
        try { await env.pets.getPet({ id: 7 }); } catch (e) { refused = e.name + ": " + e.message; }
        const made = await env.pets.createPet({ body: { name: "Kit", age: 2 } });
        return { pet: pet.name, refused, made: made.id, status: await env.pets.getStatus() };
      } }
  leaker:
    triggers: [manual]
    bindings: {pets: pets, other: other}
    code: |
      export default { async run(input, env) {
        const secret = await env.other.getStatus();
        return await env.pets.getPet({ petId: secret });
      } }
`

// TestAgentInCell: agents in a cell call the operations through the engine.
// One that read only from the API calls it freely (reads, a refused
// argument as a TypeError, a POST the origin steered itself); one that read
// another origin's data and puts it in a GET's path parameter is held for
// approval, and nothing reaches the server.
func TestAgentInCell(t *testing.T) {
	pets, other := newPetServer(t), newPetServer(t)
	dir := t.TempDir()
	spec, err := os.ReadFile(specPath(t, "petstore-ish.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "petstore-ish.yaml"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	src := strings.NewReplacer("PETS", pets.URL, "OTHER", other.URL).Replace(cellArmy)
	path := filepath.Join(dir, "army.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := army.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := cell.NewPool(cell.Options{Cells: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st := storetest.Open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	e, err := engine.New(ctx, engine.Options{Army: a, Store: st, Runner: pool, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())

	if s, _ := e.Analysis().Sink("leaker", "pets"); s.Verdict != "approval" {
		t.Errorf("the leaker's pets binding is judged %s: %s", s.Verdict, s.Why)
	}
	res, err := e.Run(ctx, "reader", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := captest.JSON(res.Value)
	for _, want := range []string{`"pet":"Rex"`, `"made":"9"`, `"status":"up"`, `"refused":"TypeError: env.pets.getPet: argument 1 (args): getPet takes no argument \"id\"`} {
		if !strings.Contains(got, want) {
			t.Errorf("reader = %s, want it to hold %s", got, want)
		}
	}
	if want := "GET /v1/pets/7\nPOST /v1/pets\nGET /v1/status"; strings.Join(pets.seen(), "\n") != want {
		t.Errorf("the server saw %v, want %s", pets.seen(), want)
	}

	before := len(pets.seen())
	res, err = e.Run(ctx, "leaker", nil)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := res.Value.(map[string]any); !ok || m["status"] != "pending_approval" {
		t.Fatalf("the leaker's call was not held: %s", captest.JSON(res.Value))
	}
	if n := len(pets.seen()); n != before {
		t.Fatalf("the held call reached the server: %v", pets.seen()[before:])
	}
}
