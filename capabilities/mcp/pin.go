package mcp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"littleboxes/capabilities"
)

// Tool pinning: a server must not silently grow new authority. The first
// time an instance is provisioned with Storage, the tools it exposes (after
// the props' allowlist) are recorded, each name with a hash of what an agent
// and the flow analysis rely on: its description, input and output schemas
// and annotations. A later provision that finds a tool added, removed or
// changed fails with ErrToolsChanged, listing the changes, and records what
// it found as pending; Accept makes the pending list the pinned one (the
// owner's "yes, I accept these tools"), and the next provision succeeds if
// the server still offers exactly that. Without Storage there is no pinning.

// ErrToolsChanged means the server's tools differ from those pinned when the
// instance was first provisioned; the owner accepts the change with Accept.
var ErrToolsChanged = errors.New("the MCP server's tools changed since they were pinned")

// ErrNothingToAccept is returned by Accept when no change is pending.
var ErrNothingToAccept = errors.New("no tool change is pending")

// Storage keys under the instance's namespace.
const (
	pinnedKey  = "tools.pinned"
	pendingKey = "tools.pending"
)

// Namespace returns the storage namespace of the instance named instance:
// where its pinned tool list lives.
func Namespace(instance string) string { return "mcp:" + instance }

// toolHashes maps a tool's name to the hash of what it declares.
type toolHashes map[string]string

// hashTool hashes what an agent and the flow analysis rely on of a tool.
// encoding/json writes map keys sorted, so equal schemas hash equally.
func hashTool(description string, input, output any, readOnly bool) string {
	b, err := json.Marshal(map[string]any{"description": description, "input": input, "output": output, "readOnly": readOnly})
	if err != nil {
		b = []byte(fmt.Sprint(description, input, output, readOnly))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// diff lists what changed from pinned to now, sorted: "new tool x",
// "tool y removed", "tool z changed (description, schema or annotations)".
func diff(pinned, now toolHashes) []string {
	var out []string
	for name, h := range now {
		switch old, ok := pinned[name]; {
		case !ok:
			out = append(out, "new tool "+name)
		case old != h:
			out = append(out, "tool "+name+" changed (its description, schemas or read-only hint)")
		}
	}
	for name := range pinned {
		if _, ok := now[name]; !ok {
			out = append(out, "tool "+name+" removed")
		}
	}
	sort.Strings(out)
	return out
}

// pin checks now against the instance's pinned list, recording it when
// there is none. A difference is an error wrapping ErrToolsChanged, and now
// is kept as pending for Accept.
func pin(ctx context.Context, st capabilities.Storage, instance string, now toolHashes) error {
	ns := Namespace(instance)
	raw, ok, err := st.Get(ctx, ns, pinnedKey)
	if err != nil {
		return fmt.Errorf("reading the pinned tools: %w", err)
	}
	cur, err := json.Marshal(now)
	if err != nil {
		return fmt.Errorf("encoding the tools: %w", err)
	}
	if !ok {
		if err := st.Put(ctx, ns, pinnedKey, cur); err != nil {
			return fmt.Errorf("pinning the tools: %w", err)
		}
		return nil
	}
	var pinned toolHashes
	if err := json.Unmarshal(raw, &pinned); err != nil {
		return fmt.Errorf("reading the pinned tools: %w", err)
	}
	changes := diff(pinned, now)
	if len(changes) == 0 {
		if err := st.Delete(ctx, ns, pendingKey); err != nil {
			return fmt.Errorf("clearing the pending tools: %w", err)
		}
		return nil
	}
	if err := st.Put(ctx, ns, pendingKey, cur); err != nil {
		return fmt.Errorf("keeping the changed tools for acceptance: %w", err)
	}
	return fmt.Errorf("%w: %s; the owner must accept the new tool list before it is used", ErrToolsChanged, strings.Join(changes, "; "))
}

// Accept accepts the tool change last refused for the instance named
// instance (the error wrapping ErrToolsChanged): the tool list the server
// offered then becomes the pinned one, so the next provision succeeds if the
// server still offers exactly that. It is the owner's "accept" in the app
// (API.AcceptTools) and in `littleboxes check ARMY --accept-tools`; it
// needs no props, only the storage the instance is provisioned with and
// its name. With nothing pending it returns ErrNothingToAccept.
func Accept(ctx context.Context, st capabilities.Storage, instance string) error {
	if st == nil {
		return fmt.Errorf("accepting the tools of %s: %w", instance, capabilities.ErrUnavailable)
	}
	ns := Namespace(instance)
	raw, ok, err := st.Get(ctx, ns, pendingKey)
	if err != nil {
		return fmt.Errorf("accepting the tools of %s: %w", instance, err)
	}
	if !ok {
		return fmt.Errorf("accepting the tools of %s: %w", instance, ErrNothingToAccept)
	}
	if err := st.Put(ctx, ns, pinnedKey, raw); err != nil {
		return fmt.Errorf("accepting the tools of %s: %w", instance, err)
	}
	if err := st.Delete(ctx, ns, pendingKey); err != nil {
		return fmt.Errorf("accepting the tools of %s: %w", instance, err)
	}
	return nil
}
