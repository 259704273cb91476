package openapi_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"littleboxes/capabilities/openapi"
)

// FuzzSpec: a document from outside never panics the parser, the table
// builder or the TypeScript renderer, and a table built renders its
// interface.
func FuzzSpec(f *testing.F) {
	for _, name := range specs {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"openapi": "3.0.0", "info": {"title": "x", "version": "1"}, "paths": {"/a/{b}": {"parameters": [{"name": "b", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/S"}}], "get": {"responses": {"200": {"description": "x", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/S"}}}}}}}}, "components": {"schemas": {"S": {"anyOf": [{"$ref": "#/components/schemas/S"}, {"type": "array", "items": {"$ref": "#/components/schemas/S"}}]}}}}`))
	f.Add([]byte("openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := openapi.BuildFromData(data)
		if err != nil {
			return
		}
		ts := tb.TypeScript()
		if !strings.Contains(ts, "interface "+tb.Interface()+" {") {
			t.Fatalf("the interface is not declared:\n%s", ts)
		}
	})
}
