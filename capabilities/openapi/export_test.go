package openapi

import (
	"context"

	"littleboxes/capabilities"
)

// BuildFromData parses a document's bytes and builds the method table of
// every operation, as Provision does from a file, for the fuzz target.
func BuildFromData(data []byte) (*capabilities.Table, error) {
	doc, err := parseSpec(context.Background(), "fuzz.yaml", data)
	if err != nil {
		return nil, err
	}
	o := &OpenAPI{Spec: "/fuzz.yaml", Origin: "https://api.example.com", Operations: []string{"*"},
		host: &capabilities.Host{Instance: "fuzz"}, doc: doc}
	if o.base, err = basePath(doc); err != nil {
		return nil, err
	}
	if err := o.build(); err != nil {
		return nil, err
	}
	return o.table, nil
}
