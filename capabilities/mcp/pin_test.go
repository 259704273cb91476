package mcp_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"littleboxes/capabilities"
	"littleboxes/capabilities/mcp"
)

// TestPinPerArmy is the attack on a pin shared by name: army alpha pins its
// server's tools; army beta, in the same data directory (one Storage), has a
// capability of the same name pointing at a server with more tools. Beta's
// must be its own first sighting (pinned for beta, not refused against
// alpha's pin, nor accepted into it), and alpha's server growing must still
// be refused.
func TestPinPerArmy(t *testing.T) {
	alphaOpts, betaOpts := &serverOpts{}, &serverOpts{extra: []string{"delete-all"}}
	alphaSrv, betaSrv := httpServer(t, alphaOpts), httpServer(t, betaOpts)
	st := &memStorage{}
	host := func(army string) *capabilities.Host {
		return &capabilities.Host{Army: army, Instance: "tools", Storage: st}
	}
	alpha, beta := `{"url": "`+alphaSrv.URL+`"}`, `{"url": "`+betaSrv.URL+`"}`

	mustProvision(t, alpha, host("alpha"))
	inst, err := provision(t, beta, host("beta"))
	if err != nil {
		t.Fatalf("beta's first sighting: %v, want its own tools pinned", err)
	}
	if _, ok := capabilities.TableOf(inst).Method("deleteAll"); !ok {
		t.Fatal("beta's tools lack deleteAll")
	}
	mustProvision(t, beta, host("beta")) // beta's pin is beta's tools
	mustProvision(t, alpha, host("alpha"))

	// Alpha's server grows the tool beta has: alpha is refused, whatever
	// beta pinned.
	alphaOpts.mu.Lock()
	alphaOpts.extra = []string{"delete-all"}
	alphaOpts.mu.Unlock()
	if _, err := provision(t, alpha, host("alpha")); !errors.Is(err, mcp.ErrToolsChanged) || !strings.Contains(err.Error(), "new tool delete-all") {
		t.Fatalf("alpha grown: err = %v, want ErrToolsChanged naming delete-all", err)
	}
	mustProvision(t, beta, host("beta"))

	// Accepting acts on one army's pin: beta has nothing pending, alpha
	// has its new tool.
	ctx := context.Background()
	if err := mcp.Accept(ctx, st, "beta", "tools"); !errors.Is(err, mcp.ErrNothingToAccept) {
		t.Fatalf("Accept(beta) = %v, want ErrNothingToAccept", err)
	}
	if got, err := mcp.Pending(ctx, st, "alpha", "tools"); err != nil || strings.Join(got, ";") != "new tool delete-all" {
		t.Fatalf("Pending(alpha) = %q, %v", got, err)
	}
	if err := mcp.Accept(ctx, st, "alpha", "tools"); err != nil {
		t.Fatal(err)
	}
	mustProvision(t, alpha, host("alpha"))

	// Beta's pin is beta's own: its server dropping a tool is refused.
	betaOpts.mu.Lock()
	betaOpts.extra = nil
	betaOpts.mu.Unlock()
	if _, err := provision(t, beta, host("beta")); !errors.Is(err, mcp.ErrToolsChanged) || !strings.Contains(err.Error(), "tool delete-all removed") {
		t.Fatalf("beta shrunk: err = %v, want ErrToolsChanged naming delete-all", err)
	}

	// Storage without an army pins nothing silently: it is refused.
	if _, err := provision(t, alpha, &capabilities.Host{Instance: "tools", Storage: st}); !errors.Is(err, mcp.ErrNoArmy) {
		t.Fatalf("no army: err = %v, want ErrNoArmy", err)
	}
	if err := mcp.Accept(ctx, st, "", "tools"); !errors.Is(err, mcp.ErrNoArmy) {
		t.Fatalf("Accept with no army = %v, want ErrNoArmy", err)
	}
}

// TestPinLegacy: a pin kept before pins were per army (one per capability
// name, shared by every army) is each army's pin the first time it has
// none: a server that grew since is refused, not pinned afresh.
func TestPinLegacy(t *testing.T) {
	for _, tc := range []struct {
		name  string
		grown bool
	}{
		{"unchanged", false},
		{"grown", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := &serverOpts{}
			props := `{"url": "` + httpServer(t, opts).URL + `"}`
			// The pin as an older littleboxes wrote it.
			old := &memStorage{}
			mustProvision(t, props, &capabilities.Host{Army: "old", Instance: "tools", Storage: old})
			ctx := context.Background()
			raw, ok, err := old.Get(ctx, mcp.Namespace("old", "tools"), "tools.pinned")
			if err != nil || !ok {
				t.Fatalf("the pinned tools: %v, %v", ok, err)
			}
			st := &memStorage{}
			if err := st.Put(ctx, mcp.LegacyNamespace("tools"), "tools.pinned", raw); err != nil {
				t.Fatal(err)
			}
			if tc.grown {
				opts.mu.Lock()
				opts.extra = []string{"delete-all"}
				opts.mu.Unlock()
			}
			for _, army := range []string{"alpha", "beta"} { // both shared the old pin
				_, err := provision(t, props, &capabilities.Host{Army: army, Instance: "tools", Storage: st})
				if tc.grown != errors.Is(err, mcp.ErrToolsChanged) || (!tc.grown && err != nil) {
					t.Fatalf("army %s: err = %v, want a refusal %v", army, err, tc.grown)
				}
				if _, ok, _ := st.Get(ctx, mcp.Namespace(army, "tools"), "tools.pinned"); !ok {
					t.Fatalf("army %s: the old pin was not kept as its own", army)
				}
			}
			if err := mcp.Accept(ctx, st, "alpha", "tools"); tc.grown != (err == nil) {
				t.Fatalf("Accept(alpha) = %v", err)
			}
		})
	}
}
