package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"littleboxes/app/army"
	"littleboxes/app/capstore"
	"littleboxes/capabilities"
	"littleboxes/capabilities/mcp"
)

// acceptTools is check's --accept-tools: it provisions each mcp capability
// of a as run does (with the data directory's storage, where its tool list
// is pinned under a's name: another army's pins are not touched), and when
// the server's tools changed since they were pinned it accepts the new list
// (mcp.Accept), saying what changed. It reports whether every mcp
// capability could be checked.
func acceptTools(ctx context.Context, a *army.Army, dataFlag string, sec capabilities.Secrets, std IO) bool {
	var caps []*army.Capability
	for _, c := range a.Capabilities {
		if c.Kind == mcp.ID {
			caps = append(caps, c)
		}
	}
	if len(caps) == 0 {
		fmt.Fprintln(std.Stdout, "no mcp capability: no tools to accept")
		return true
	}
	st, err := openStore(dataFlag)
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes check --accept-tools: %v\n", err)
		return false
	}
	defer st.Close()
	storage := capstore.New(st)
	ok := true
	for _, c := range caps {
		msg, err := acceptOne(ctx, a, c, storage, sec)
		if err != nil {
			fmt.Fprintf(std.Stderr, "mcp capability %s: %v\n", c.Name, err)
			ok = false
			continue
		}
		fmt.Fprintf(std.Stdout, "mcp capability %s: %s\n", c.Name, msg)
	}
	return ok
}

// acceptOne checks and, when they changed, accepts the tools of one mcp
// capability; it returns what it did, in words.
func acceptOne(ctx context.Context, a *army.Army, c *army.Capability, st capabilities.Storage, sec capabilities.Secrets) (string, error) {
	var props []byte
	if p := a.ResolvedProps(c); p != nil {
		b, err := json.Marshal(p)
		if err != nil {
			return "", fmt.Errorf("encoding the props: %w", err)
		}
		props = b
	}
	h := &capabilities.Host{Instance: c.Name, Army: a.Name, SecretRefs: c.Secrets, Secrets: sec, Storage: st}
	inst, err := capabilities.New(ctx, c.Kind, props, h)
	if err == nil {
		n := len(capabilities.TableOf(inst).Names())
		if cerr := capabilities.Cleanup(inst); cerr != nil {
			return "", fmt.Errorf("stopping the server: %w", cerr)
		}
		return fmt.Sprintf("its %d tool(s) are the ones pinned; nothing to accept", n), nil
	}
	if !errors.Is(err, mcp.ErrToolsChanged) {
		return "", err
	}
	changes, perr := mcp.Pending(ctx, st, a.Name, c.Name)
	if perr != nil {
		return "", perr
	}
	if err := mcp.Accept(ctx, st, a.Name, c.Name); err != nil {
		return "", err
	}
	return "accepted its new tool list: " + strings.Join(changes, "; "), nil
}
