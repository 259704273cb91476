package app

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"littleboxes/app/mcp/mcptest"
	"littleboxes/capabilities/mcp"
)

// TestAcceptTools: a server whose tools grew stops the army with a problem
// naming the capability (tools), which AcceptTools accepts; the army then
// runs, and an agent calls the new tool.
func TestAcceptTools(t *testing.T) {
	var grown atomic.Bool
	srv := mcptest.Growing(t, &grown)
	a := openTest(t, "")
	src := mcptest.Army("tooled", srv.URL, "return (await env.tools.grown({}))[0].text")
	w, err := a.ImportYAML(src)
	if err != nil || !w.Running {
		t.Fatalf("import: running %v, problems %+v, %v", w.Running, w.Problems, err)
	}
	if _, err := a.AcceptTools("tools"); !errors.Is(err, mcp.ErrNothingToAccept) {
		t.Fatalf("AcceptTools with nothing pending: err = %v, want ErrNothingToAccept", err)
	}

	grown.Store(true)
	w, err = a.ImportYAML(src) // the army starts again and finds the new tool
	if err != nil {
		t.Fatal(err)
	}
	if w.Running || len(w.Problems) != 1 || w.Problems[0].Tools != "tools" || !strings.Contains(w.Problems[0].Message, "new tool grown") {
		t.Fatalf("after the server grew: running %v, problems %+v; want one problem naming tools", w.Running, w.Problems)
	}
	for _, bad := range []string{"nope", "user"} {
		if _, err := a.AcceptTools(bad); err == nil {
			t.Fatalf("AcceptTools(%q) succeeded", bad)
		}
	}

	w, err = a.AcceptTools("tools")
	if err != nil || !w.Running || len(w.Problems) != 0 {
		t.Fatalf("AcceptTools: running %v, problems %+v, %v", w.Running, w.Problems, err)
	}
	rec, err := a.RunAgent("user", "null")
	if err != nil || rec.Error != "" || !strings.Contains(string(rec.Result), "from grown") {
		t.Fatalf("running the agent: %+v, %v", rec, err)
	}
}

// TestAcceptToolsPerArmy: two armies opened in turn in one data directory,
// each with an mcp capability named tools but at different servers, keep
// their own pins: beta's server having a tool alpha's lacks is beta's first
// sighting, and alpha's server growing it later still stops alpha until
// AcceptTools, which leaves beta's pin alone.
func TestAcceptToolsPerArmy(t *testing.T) {
	var alphaGrown, betaGrown atomic.Bool
	betaGrown.Store(true)
	alphaSrv, betaSrv := mcptest.Growing(t, &alphaGrown), mcptest.Growing(t, &betaGrown)
	a := openTest(t, "")
	open := func(name, url string, running bool, problem string) {
		t.Helper()
		w, err := a.ImportYAML(mcptest.Army(name, url, "return 1"))
		if err != nil {
			t.Fatalf("import %s: %v", name, err)
		}
		if w.Running != running || (problem == "") != (len(w.Problems) == 0) || (problem != "" && !strings.Contains(w.Problems[0].Message, problem)) {
			t.Fatalf("%s: running %v, problems %+v; want running %v, problem %q", name, w.Running, w.Problems, running, problem)
		}
	}
	open("alpha", alphaSrv.URL, true, "")
	open("beta", betaSrv.URL, true, "") // its own first sighting
	open("alpha", alphaSrv.URL, true, "")

	alphaGrown.Store(true)
	open("alpha", alphaSrv.URL, false, "new tool grown")
	if w, err := a.AcceptTools("tools"); err != nil || !w.Running {
		t.Fatalf("AcceptTools in alpha: running %v, problems %+v, %v", w.Running, w.Problems, err)
	}
	open("beta", betaSrv.URL, true, "")
	if _, err := a.AcceptTools("tools"); !errors.Is(err, mcp.ErrNothingToAccept) {
		t.Fatalf("AcceptTools in beta: err = %v, want ErrNothingToAccept (alpha's acceptance is not beta's)", err)
	}
	betaGrown.Store(false) // beta's server drops a tool: beta's pin refuses it
	open("beta", betaSrv.URL, false, "tool grown removed")
}
