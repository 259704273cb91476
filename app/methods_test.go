package app

import (
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"littleboxes/app/mcp/mcptest"
)

// TestCapabilityMethods: the view shows a dynamic kind's methods (an MCP
// server's tools) with their roles, as its instance has them, and sums a
// binding's role from them; a kind with methods of its own shows none.
func TestCapabilityMethods(t *testing.T) {
	srv := mcptest.Server(t, "roles", func() []*sdk.Tool {
		return []*sdk.Tool{
			{Name: "look", Description: "Reads.", Annotations: &sdk.ToolAnnotations{ReadOnlyHint: true}},
			{Name: "do-it", Description: "Acts."},
		}
	})

	for _, tc := range []struct {
		name, tools string
		want        map[string]string
		binding     string
	}{
		{"all tools", `[]`, map[string]string{"look": "source", "doIt": "exchange"}, "exchange"},
		{"read-only allowed", `["look"]`, map[string]string{"look": "source"}, "source"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := openTest(t, "")
			src := `name: roles
capabilities:
  tools: {kind: mcp, props: {url: "` + srv.URL + `", tools: ` + tc.tools + `}}
  notes: {kind: kv, props: {namespace: roles}}
agents:
  user:
    triggers: [manual]
    bindings: {tools: tools, notes: notes}
    code: |
      export default { async run() { return 1 } }
`
			w, err := a.ImportYAML(src)
			if err != nil || !w.Running {
				t.Fatalf("import: running %v, problems %+v, %v", w.Running, w.Problems, err)
			}
			got := map[string]map[string]string{}
			for _, c := range w.Capabilities {
				got[c.Name] = map[string]string{}
				for _, m := range c.Methods {
					got[c.Name][m.Name] = m.Role
				}
			}
			if len(got["notes"]) != 0 {
				t.Errorf("kv shows methods %v; its kind lists them", got["notes"])
			}
			if len(got["tools"]) != len(tc.want) {
				t.Fatalf("tools' methods %v, want %v", got["tools"], tc.want)
			}
			for n, r := range tc.want {
				if got["tools"][n] != r {
					t.Errorf("method %s: role %q, want %q (all: %v)", n, got["tools"][n], r, got["tools"])
				}
			}
			for _, b := range agentView(w, "user").Bindings {
				if b.Env == "tools" && b.Role != tc.binding {
					t.Errorf("binding role %q, want %q", b.Role, tc.binding)
				}
			}
		})
	}
}
