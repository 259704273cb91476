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
//
// Pins are kept per army (Host.Army), as the engine keeps queues and runs:
// two armies sharing a data directory whose mcp capabilities share a name
// may point at different servers, and one's first sighting must neither be
// refused against the other's pin nor widen it. Pins kept before they were
// per army (under "mcp:INSTANCE", shared by every army with a capability of
// that name) are taken as an army's own the first time it has none: copied,
// never dropped, so a server that grew since is still refused. The old pin
// stays for the other armies that shared it. Renaming an army leaves its
// pins behind under the old name, as it does its queues and runs: the
// renamed army's servers are pinned afresh when first seen (renaming is the
// owner's edit of the army file, which names the servers anyway).

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

// ErrNoArmy is returned when pinning is asked of an instance that belongs
// to no army (Host.Army empty): pins are kept per army.
var ErrNoArmy = errors.New("the MCP tools are pinned per army, and no army was named")

// Namespace returns the storage namespace where the army named army keeps
// the pinned tool list of its mcp capability named instance:
// "mcp:ARMY:INSTANCE". A capability's name has no colon, so no two pairs
// share a namespace, nor does any pair share one with a legacy pin.
func Namespace(army, instance string) string { return "mcp:" + army + ":" + instance }

// legacyNamespace is where the pinned tools of the capability named
// instance were kept before pins were per army.
func legacyNamespace(instance string) string { return "mcp:" + instance }

// namespace returns Namespace(army, instance), or an error wrapping
// ErrNoArmy when army is empty.
func namespace(army, instance string) (string, error) {
	if army == "" {
		return "", fmt.Errorf("the tools of %s: %w", instance, ErrNoArmy)
	}
	return Namespace(army, instance), nil
}

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

// pin checks now against the army's pinned list for the instance,
// recording it when there is none (nor a legacy one to adopt). A difference
// is an error wrapping ErrToolsChanged, and now is kept as pending for
// Accept.
func pin(ctx context.Context, st capabilities.Storage, army, instance string, now toolHashes) error {
	ns, err := namespace(army, instance)
	if err != nil {
		return err
	}
	raw, ok, err := pinned(ctx, st, ns, instance)
	if err != nil {
		return err
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

// pinned reads the pinned list in ns; when there is none, it adopts the
// legacy pin of instance (from before pins were per army), copying it into
// ns.
func pinned(ctx context.Context, st capabilities.Storage, ns, instance string) ([]byte, bool, error) {
	raw, ok, err := st.Get(ctx, ns, pinnedKey)
	if err != nil || ok {
		if err != nil {
			err = fmt.Errorf("reading the pinned tools: %w", err)
		}
		return raw, ok, err
	}
	raw, ok, err = st.Get(ctx, legacyNamespace(instance), pinnedKey)
	if err != nil {
		return nil, false, fmt.Errorf("reading the pinned tools from before pins were per army: %w", err)
	}
	if !ok {
		return nil, false, nil
	}
	if err := st.Put(ctx, ns, pinnedKey, raw); err != nil {
		return nil, false, fmt.Errorf("keeping the pinned tools per army: %w", err)
	}
	return raw, true, nil
}

// Accept accepts the tool change last refused for the army's instance
// named instance (the error wrapping ErrToolsChanged): the tool list the
// server offered then becomes the army's pinned one, so the next provision
// succeeds if the server still offers exactly that. It is the owner's
// "accept" in the app (API.AcceptTools) and in `littleboxes check ARMY
// --accept-tools`; it needs no props, only the storage the instance is
// provisioned with, the army's name and the instance's. It touches no other
// army's pin. With nothing pending it returns ErrNothingToAccept.
func Accept(ctx context.Context, st capabilities.Storage, army, instance string) error {
	if st == nil {
		return fmt.Errorf("accepting the tools of %s: %w", instance, capabilities.ErrUnavailable)
	}
	ns, err := namespace(army, instance)
	if err != nil {
		return fmt.Errorf("accepting %w", err)
	}
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
