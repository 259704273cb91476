package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyRules enforces the dependency direction of DESIGN.md, as
// tailscale's tstest/deptest does: it lists every package's imports with the
// go tool and checks each rule.
func TestDependencyRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps=false", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	imports := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		imports[f[0]] = f[1:]
	}
	if len(imports) < 5 {
		t.Fatalf("go list found only %d packages", len(imports))
	}
	under := func(pkg, root string) bool { return pkg == root || strings.HasPrefix(pkg, root+"/") }
	only := func(dep, owner string) func(pkg, imp string) string {
		return func(pkg, imp string) string {
			if under(imp, dep) && pkg != owner {
				return "only " + owner + " may import " + dep
			}
			return ""
		}
	}
	rules := []func(pkg, imp string) string{
		only("go.etcd.io/bbolt", "littleboxes/app/store"),
		only("github.com/zalando/go-keyring", "littleboxes/vault/keyring"),
		func(pkg, imp string) string {
			if under(imp, "github.com/wailsapp/wails") && pkg != "littleboxes/app" {
				return "only littleboxes/app may import Wails"
			}
			return ""
		},
		func(pkg, imp string) string {
			if imp == "littleboxes/app" && pkg != "littleboxes" {
				return "nothing but main imports littleboxes/app"
			}
			return ""
		},
		func(pkg, imp string) string {
			if under(pkg, "littleboxes/sandbox") {
				for _, bad := range []string{"littleboxes/capabilities", "littleboxes/vault", "littleboxes/app"} {
					if under(imp, bad) {
						return "sandbox must not import " + bad
					}
				}
			}
			return ""
		},
		func(pkg, imp string) string {
			if under(imp, "littleboxes/sandbox/cell") && under(pkg, "littleboxes/sandbox") && !under(pkg, "littleboxes/sandbox/cell") {
				return "sandbox must not import sandbox/cell: cells build on the sandbox"
			}
			return ""
		},
		func(pkg, imp string) string {
			if pkg == "littleboxes/capabilities" && strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
				return "capabilities (root) imports only the standard library"
			}
			if pkg == "littleboxes/capabilities" && under(imp, "littleboxes") {
				return "capabilities (root) imports only the standard library"
			}
			return ""
		},
		func(pkg, imp string) string {
			if !under(pkg, "littleboxes/capabilities") || pkg == "littleboxes/capabilities" || strings.HasSuffix(pkg, "/standard") {
				return ""
			}
			for _, bad := range []string{"littleboxes/sandbox", "littleboxes/vault/keyring", "littleboxes/app"} {
				if under(imp, bad) {
					return "a capability kind must not import " + bad
				}
			}
			// capabilities/web is no kind: the request engine the web
			// kinds (http, openapi) share.
			if under(imp, "littleboxes/capabilities/") && !strings.HasSuffix(imp, "test") && imp != "littleboxes/capabilities/web" && !under(pkg, imp) {
				return "a capability kind must not import another kind"
			}
			return ""
		},
	}
	for pkg, imps := range imports {
		for _, imp := range imps {
			for _, rule := range rules {
				if msg := rule(pkg, imp); msg != "" {
					t.Errorf("%s imports %s: %s", pkg, imp, msg)
				}
			}
		}
	}
}
