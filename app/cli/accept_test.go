package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"littleboxes/app/capstore"
	"littleboxes/app/mcp/mcptest"
	"littleboxes/app/store/storetest"
	"littleboxes/capabilities"
	"littleboxes/capabilities/mcp"
)

// provisionPinned provisions the mcp capability "tools" of the army named
// army as run does, with the data directory's storage, and returns its
// methods.
func provisionPinned(t *testing.T, data, army, url string) ([]string, error) {
	t.Helper()
	st := storetest.OpenFile(t, filepath.Join(data, storeFile))
	defer st.Close() // before the CLI opens it
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	inst, err := capabilities.New(ctx, mcp.ID, []byte(`{"url": "`+url+`"}`), &capabilities.Host{Army: army, Instance: "tools", Storage: capstore.New(st)})
	if err != nil {
		return nil, err
	}
	defer capabilities.Cleanup(inst)
	return capabilities.TableOf(inst).Names(), nil
}

// TestCheckAcceptTools: a server whose tools grew stops the army
// (provisioning with the data directory's pins fails) until `check
// --accept-tools` accepts the new list, which it names; plain check
// accepts nothing.
func TestCheckAcceptTools(t *testing.T) {
	var grown atomic.Bool
	srv := mcptest.Growing(t, &grown)
	dir, data := t.TempDir(), t.TempDir()
	armyFile := filepath.Join(dir, "army.yaml")
	src := mcptest.Army("tooled", srv.URL, `return await env.tools.echo({ message: "hi" })`)
	if err := os.WriteFile(armyFile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(args ...string) (int, string, string) {
		return runMain(t, "", append([]string{"check", armyFile, "--data", data}, args...)...)
	}

	// First: the tools are pinned as they are.
	code, out, errOut := check("--accept-tools")
	if code != ExitOK || !strings.Contains(out, "mcp capability tools: its 1 tool(s) are the ones pinned; nothing to accept") {
		t.Fatalf("first check --accept-tools: exit %d\n%s\n%s", code, out, errOut)
	}
	if names, err := provisionPinned(t, data, "tooled", srv.URL); err != nil || strings.Join(names, ",") != "echo" {
		t.Fatalf("provisioning after pinning: %v, %v", names, err)
	}

	// The server grows a tool: provisioning as run does is refused.
	grown.Store(true)
	if _, err := provisionPinned(t, data, "tooled", srv.URL); !errors.Is(err, mcp.ErrToolsChanged) || !strings.Contains(err.Error(), "new tool grown") {
		t.Fatalf("provisioning a grown server: err = %v, want ErrToolsChanged naming the new tool", err)
	}
	// Plain check accepts nothing.
	if code, out, errOut := check(); code != ExitOK || strings.Contains(out, "accepted") {
		t.Fatalf("plain check: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := provisionPinned(t, data, "tooled", srv.URL); !errors.Is(err, mcp.ErrToolsChanged) {
		t.Fatalf("after plain check: err = %v, want the change still refused", err)
	}

	// The owner accepts it.
	code, out, errOut = check("--accept-tools")
	if code != ExitOK || !strings.Contains(out, "mcp capability tools: accepted its new tool list: new tool grown") {
		t.Fatalf("check --accept-tools: exit %d\n%s\n%s", code, out, errOut)
	}
	if names, err := provisionPinned(t, data, "tooled", srv.URL); err != nil || strings.Join(names, ",") != "echo,grown" {
		t.Fatalf("provisioning after accepting: %v, %v", names, err)
	}
	// Nothing is left to accept.
	if code, out, _ := check("--accept-tools"); code != ExitOK || !strings.Contains(out, "its 2 tool(s) are the ones pinned; nothing to accept") {
		t.Fatalf("check --accept-tools again: exit %d\n%s", code, out)
	}
}

// writeToolArmy writes the army file of an army named name whose mcp
// capability "tools" points at url, and returns its path.
func writeToolArmy(t *testing.T, dir, name, url string) string {
	t.Helper()
	f := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(f, []byte(mcptest.Army(name, url, "return 1")), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestCheckAcceptToolsPerArmy: two armies in one data directory whose mcp
// capabilities share a name keep their own pins. Beta's server offering a
// tool alpha's lacks is beta's first sighting, not a change to accept; and
// once beta pinned it, alpha's server growing that tool is still refused
// until `check alpha --accept-tools`, which leaves beta's pin alone.
func TestCheckAcceptToolsPerArmy(t *testing.T) {
	var alphaGrown, betaGrown atomic.Bool
	betaGrown.Store(true)
	alphaSrv, betaSrv := mcptest.Growing(t, &alphaGrown), mcptest.Growing(t, &betaGrown)
	dir, data := t.TempDir(), t.TempDir()
	alpha, beta := writeToolArmy(t, dir, "alpha", alphaSrv.URL), writeToolArmy(t, dir, "beta", betaSrv.URL)
	check := func(file string) string {
		code, out, errOut := runMain(t, "", "check", file, "--data", data, "--accept-tools")
		if code != ExitOK {
			t.Fatalf("check %s --accept-tools: exit %d\n%s\n%s", file, code, out, errOut)
		}
		return out
	}

	if out := check(alpha); !strings.Contains(out, "its 1 tool(s) are the ones pinned; nothing to accept") {
		t.Fatalf("check alpha:\n%s", out)
	}
	if out := check(beta); !strings.Contains(out, "its 2 tool(s) are the ones pinned; nothing to accept") {
		t.Fatalf("check beta (its first sighting):\n%s", out)
	}
	alphaGrown.Store(true)
	if _, err := provisionPinned(t, data, "alpha", alphaSrv.URL); !errors.Is(err, mcp.ErrToolsChanged) || !strings.Contains(err.Error(), "new tool grown") {
		t.Fatalf("alpha grown: err = %v, want ErrToolsChanged naming the new tool", err)
	}
	if out := check(alpha); !strings.Contains(out, "mcp capability tools: accepted its new tool list: new tool grown") {
		t.Fatalf("check alpha after it grew:\n%s", out)
	}
	for _, c := range []struct{ army, url string }{{"alpha", alphaSrv.URL}, {"beta", betaSrv.URL}} {
		if names, err := provisionPinned(t, data, c.army, c.url); err != nil || strings.Join(names, ",") != "echo,grown" {
			t.Fatalf("%s after accepting alpha's tools: %v, %v", c.army, names, err)
		}
	}
}

// TestCheckAcceptToolsStoreBusy: with the data directory held by another
// process (here, an open store), --accept-tools says so and fails.
func TestCheckAcceptToolsStoreBusy(t *testing.T) {
	var grown atomic.Bool
	srv := mcptest.Growing(t, &grown)
	dir, data := t.TempDir(), t.TempDir()
	armyFile := filepath.Join(dir, "army.yaml")
	if err := os.WriteFile(armyFile, []byte(mcptest.Army("tooled", srv.URL, "return 1")), 0o644); err != nil {
		t.Fatal(err)
	}
	storetest.OpenFile(t, filepath.Join(data, storeFile)) // held: the engine is running
	code, _, errOut := runMain(t, "", "check", armyFile, "--data", data, "--accept-tools")
	if code != ExitUsage || !strings.Contains(errOut, "running") {
		t.Fatalf("exit %d, stderr %s; want a refusal saying the store is held", code, errOut)
	}
}
