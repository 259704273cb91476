package app

import (
	"strings"
	"testing"

	_ "littleboxes/capabilities/standard" // the built-in kinds, which main imports
)

// TestPaletteWebKinds: the palette's forms are generated from Kinds(): the
// openapi and mcp kinds are there with every prop, the props the web kinds
// share (embedded from package web) listed in place, each with a type and
// a doc the form shows; http's props keep their order.
func TestPaletteWebKinds(t *testing.T) {
	a := NewAPI()
	kinds, err := a.Kinds()
	if err != nil {
		t.Fatal(err)
	}
	props := map[string]string{}
	for _, k := range kinds {
		var names []string
		for _, p := range k.Props {
			if p.Type == "" || p.Doc == "" {
				t.Errorf("kind %s prop %s lacks a type or doc", k.ID, p.Name)
			}
			names = append(names, p.Name+":"+p.Type)
		}
		props[k.ID] = strings.Join(names, " ")
	}
	want := map[string]string{
		"openapi": "spec:string origin:string operations:array label:string auth:object allow_private_network:boolean timeout:string max_response_bytes:integer max_request_bytes:integer max_redirects:integer consequential:boolean",
		"http":    "origins:array methods:array label:string auth:object allow_private_network:boolean timeout:string max_response_bytes:integer max_request_bytes:integer max_redirects:integer consequential:boolean",
	}
	for id, w := range want {
		if props[id] != w {
			t.Errorf("kind %s props\n%s\nwant\n%s", id, props[id], w)
		}
	}
	if !strings.Contains(props["mcp"], "command:string") || !strings.Contains(props["mcp"], "url:string") {
		t.Errorf("kind mcp props %s", props["mcp"])
	}
	for _, k := range kinds {
		if k.ID == "openapi" {
			for _, p := range k.Props {
				if (p.Name == "spec" || p.Name == "origin" || p.Name == "operations") != p.Required {
					t.Errorf("openapi prop %s required = %v", p.Name, p.Required)
				}
			}
		}
	}
}
