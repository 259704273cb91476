package main

import (
	"bufio"
	"os"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The dependency rules live in ARCHITECTURE.md, in three tables: the
// packages (every package of the module must match a row), what packages
// must not depend on (transitively), and who may import a dependency
// directly. This file reads them and checks them against `go list`, as
// tailscale's tstest/deptest does.

const module = "littleboxes"

// rule is one row of "What each package must not depend on".
type rule struct {
	subjects, forbidden, except []string
	why                         string
}

// onlyRule is one row of "Who may import a dependency directly".
type onlyRule struct {
	dep     string
	allowed []string
}

// pkgInfo is one package as go list sees it.
type pkgInfo struct {
	imports, deps []string
}

// architecture is what ARCHITECTURE.md's tables say.
type architecture struct {
	packages []string
	rules    []rule
	only     []onlyRule
}

var ticked = regexp.MustCompile("`([^`]+)`|\\((non-std|another kind)\\)")

// cells returns the items of a table cell: `pattern`s, and (non-std) or
// (another kind) as "(non-std)" and "(another kind)".
func cells(cell string) []string {
	var out []string
	for _, m := range ticked.FindAllStringSubmatch(cell, -1) {
		if m[1] != "" {
			out = append(out, resolve(m[1]))
		} else {
			out = append(out, "("+m[2]+")")
		}
	}
	return out
}

// resolve turns a pattern of the doc into an import-path pattern: "." is
// the module's main package, a path whose first element has a dot is
// outside the module, anything else is inside it.
func resolve(p string) string {
	first, _, _ := strings.Cut(p, "/")
	switch {
	case p == ".":
		return module
	case p == "...":
		return module + "/..."
	case strings.Contains(first, "."):
		return p
	}
	return module + "/" + p
}

// matches reports whether import path pkg matches pattern: "..." as the
// last element matches the rest (nothing included), "*" one element.
func matches(pattern, pkg string) bool {
	pe, ke := strings.Split(pattern, "/"), strings.Split(pkg, "/")
	for i, p := range pe {
		if p == "..." && i == len(pe)-1 {
			return true
		}
		if i >= len(ke) {
			return false
		}
		if ok, _ := path.Match(p, ke[i]); !ok {
			return false
		}
	}
	return len(ke) == len(pe)
}

func matchesAny(patterns []string, pkg string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return matches(p, pkg) })
}

// readArchitecture parses the tables of the doc at file.
func readArchitecture(t *testing.T, file string) architecture {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var a architecture
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if h, ok := strings.CutPrefix(line, "## "); ok {
			section = h
			continue
		}
		if !strings.HasPrefix(line, "| `") && !strings.HasPrefix(line, "| (") {
			continue // not a row: a header, a separator, prose
		}
		cols := strings.Split(strings.Trim(line, "|"), "|")
		switch {
		case section == "Packages" && len(cols) == 3:
			a.packages = append(a.packages, cells(cols[0])...)
		case strings.HasPrefix(section, "What each package must not depend on") && len(cols) == 4:
			a.rules = append(a.rules, rule{subjects: cells(cols[0]), forbidden: cells(cols[1]), except: cells(cols[2]),
				why: strings.TrimSpace(cols[3])})
		case strings.HasPrefix(section, "Who may import a dependency directly") && len(cols) == 2:
			for _, d := range cells(cols[0]) {
				a.only = append(a.only, onlyRule{dep: d, allowed: cells(cols[1])})
			}
		default:
			t.Fatalf("%s: a row the test cannot read, in section %q: %s", file, section, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return a
}

// isStd reports whether an import path is in the standard library.
func isStd(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".") && first != module
}

// kindOf returns the kind a package under capabilities/ belongs to, or "".
func kindOf(p string) string {
	rest, ok := strings.CutPrefix(p, module+"/capabilities/")
	if !ok {
		return ""
	}
	k, _, _ := strings.Cut(rest, "/")
	if k == "standard" || k == "captest" || k == "web" || k == "textdiff" {
		return "" // the capabilities layer's helpers (ARCHITECTURE.md), not kinds
	}
	return k
}

// violations returns what in pkgs breaks the architecture, one line each.
func violations(a architecture, pkgs map[string]pkgInfo) []string {
	var out []string
	names := make([]string, 0, len(pkgs))
	for n := range pkgs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, pkg := range names {
		info := pkgs[pkg]
		if !matchesAny(a.packages, pkg) {
			out = append(out, pkg+": no row of ARCHITECTURE.md's Packages table names it")
		}
		for _, r := range a.rules {
			if !matchesAny(r.subjects, pkg) || matchesAny(r.except, pkg) {
				continue
			}
			for _, dep := range info.deps {
				for _, f := range r.forbidden {
					bad := false
					switch f {
					case "(non-std)":
						bad = !isStd(dep)
					case "(another kind)":
						bad = kindOf(dep) != "" && kindOf(dep) != kindOf(pkg)
					default:
						bad = matches(f, dep)
					}
					if bad {
						out = append(out, pkg+" depends on "+dep+": "+r.why)
					}
				}
			}
		}
		for _, o := range a.only {
			for _, imp := range info.imports {
				if matches(o.dep, imp) && !matchesAny(o.allowed, pkg) {
					out = append(out, pkg+" imports "+imp+": only "+strings.Join(o.allowed, ", ")+" may")
				}
			}
		}
	}
	return out
}

// TestArchitecture checks every package against ARCHITECTURE.md.
func TestArchitecture(t *testing.T) {
	a := readArchitecture(t, "ARCHITECTURE.md")
	if len(a.packages) < 10 || len(a.rules) < 8 || len(a.only) < 3 {
		t.Fatalf("ARCHITECTURE.md: read %d packages, %d rules, %d import rules: the tables changed shape",
			len(a.packages), len(a.rules), len(a.only))
	}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}|{{join .Imports " "}}|{{join .Deps " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkgInfo{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		pkgs[f[0]] = pkgInfo{imports: strings.Fields(f[1]), deps: strings.Fields(f[2])}
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for _, v := range violations(a, pkgs) {
		t.Error(v)
	}
}

// TestArchitectureRulesBite checks that the checker finds what each kind
// of rule forbids, on a made-up module.
func TestArchitectureRulesBite(t *testing.T) {
	a := readArchitecture(t, "ARCHITECTURE.md")
	l := func(p string) string { return module + "/" + p }
	tests := []struct {
		name string
		pkg  string
		info pkgInfo
		want string // in a violation; "" for none
	}{
		{"the CLI through a chain to Wails", l("app/cli"), pkgInfo{deps: []string{l("app/engine"), "github.com/wailsapp/wails/v2/pkg/runtime"}}, "no display"},
		{"an engine package importing the front", l("app/engine"), pkgInfo{deps: []string{l("app")}}, "nothing imports the front"},
		{"the sandbox through a chain to a capability", l("sandbox/webapi"), pkgInfo{deps: []string{l("capabilities")}}, "plain data"},
		{"the registry with a module", l("capabilities"), pkgInfo{deps: []string{"github.com/x/y"}}, "standard library only"},
		{"a kind on another kind", l("capabilities/kv"), pkgInfo{deps: []string{l("capabilities/http")}}, "provision time"},
		{"a kind on its own helper", l("capabilities/mail"), pkgInfo{deps: []string{l("capabilities/mail/sample")}}, ""},
		{"a kind on the registry", l("capabilities/kv"), pkgInfo{deps: []string{l("capabilities"), "encoding/json"}}, ""},
		{"bbolt outside the store", l("app/engine"), pkgInfo{imports: []string{"go.etcd.io/bbolt"}}, "only littleboxes/app/store may"},
		{"bbolt through the store", l("app/engine"), pkgInfo{deps: []string{l("app/store"), "go.etcd.io/bbolt"}}, ""},
		{"serve on the workspace", l("app/serve"), pkgInfo{deps: []string{l("app/workspace")}}, "transport"},
		{"the standard kinds outside main", l("app/workspace"), pkgInfo{imports: []string{l("capabilities/standard")}}, "only littleboxes may"},
		{"a package no row names", l("nowhere"), pkgInfo{}, "no row"},
		{"main on everything", module, pkgInfo{deps: []string{l("app"), "github.com/wailsapp/wails/v2"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := violations(a, map[string]pkgInfo{tt.pkg: tt.info})
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("violations %q, want none", got)
			case tt.want != "" && !slices.ContainsFunc(got, func(v string) bool { return strings.Contains(v, tt.want) }):
				t.Errorf("violations %q, want one with %q", got, tt.want)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		pattern, pkg string
		want         bool
	}{
		{"littleboxes/app", "littleboxes/app", true},
		{"littleboxes/app", "littleboxes/app/cli", false},
		{"littleboxes/app/...", "littleboxes/app", true},
		{"littleboxes/app/...", "littleboxes/app/cli/x", true},
		{"littleboxes/app/...", "littleboxes/apple", false},
		{"littleboxes/capabilities/*", "littleboxes/capabilities/kv", true},
		{"littleboxes/capabilities/*", "littleboxes/capabilities", false},
		{"littleboxes/capabilities/*/...", "littleboxes/capabilities/mail/sample", true},
		{"littleboxes/...", "littleboxes", true},
		{"github.com/wailsapp/wails/...", "github.com/wailsapp/wails/v2/pkg/options", true},
	}
	for _, tt := range tests {
		if got := matches(tt.pattern, tt.pkg); got != tt.want {
			t.Errorf("matches(%q, %q) = %v, want %v", tt.pattern, tt.pkg, got, tt.want)
		}
	}
}
