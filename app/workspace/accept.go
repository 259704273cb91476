package workspace

import (
	"context"
	"fmt"

	"littleboxes/app/capstore"
	"littleboxes/app/events"
	"littleboxes/capabilities/mcp"
)

// AcceptTools accepts the changed tool list of the army's mcp capability
// named capability: the tools its server offered when the army last failed
// to start on that change (mcp.ErrToolsChanged) become the pinned ones, in
// the store the engine provisions capabilities with, under the open army's
// name (pins are per army: another army's capability of the same name keeps
// its own); then the army restarts. With no change pending it fails with mcp.ErrNothingToAccept.
func (w *Workspace) AcceptTools(ctx context.Context, capability string) (Snapshot, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return Snapshot{}, ErrClosed
	}
	c := w.army.Capability(capability)
	switch {
	case c == nil:
		return w.snapshot(), fmt.Errorf("accepting tools: no capability named %q", capability)
	case c.Kind != mcp.ID:
		return w.snapshot(), fmt.Errorf("accepting tools: capability %s is of kind %s, not %s", capability, c.Kind, mcp.ID)
	}
	if err := mcp.Accept(ctx, capstore.New(w.st), w.army.Name, capability); err != nil {
		return w.snapshot(), err
	}
	w.restart(ctx)
	w.opts.Hub.Publish(events.Event{Type: EventWorkspace, Detail: "accepted the tools of " + capability})
	return w.snapshot(), nil
}
