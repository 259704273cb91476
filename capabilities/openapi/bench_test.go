package openapi_test

import (
	"testing"

	"littleboxes/capabilities/captest"
)

// BenchmarkGetPet: one operation called through the table, its arguments
// checked against the schemas, sent to a loopback server and its JSON
// response parsed.
func BenchmarkGetPet(b *testing.B) {
	srv := newPetServer(b)
	inst := mustProvision(b, props(b, specPath(b, specs[0]), srv.URL, nil), nil)
	args := map[string]any{"petId": "7"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := captest.Call(inst, "getPet", args); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckBody: the schema check of a createPet body alone (a
// refused one, so nothing is sent).
func BenchmarkCheckBody(b *testing.B) {
	srv := newPetServer(b)
	inst := mustProvision(b, props(b, specPath(b, specs[0]), srv.URL, nil), nil)
	args := map[string]any{"body": map[string]any{"name": "Kit", "age": -1.0}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := captest.Call(inst, "createPet", args); err == nil {
			b.Fatal("a negative age was accepted")
		}
	}
}
