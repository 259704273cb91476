package app

import (
	"errors"
	"strconv"
	"strings"

	"littleboxes/app/army"
	"littleboxes/app/workspace"
	"littleboxes/capabilities/mcp"
)

// AcceptTools accepts the changed tool list of the army's mcp capability
// named capability (the owner's "yes" to a server that added, removed or
// changed tools since they were pinned), then restarts the army. The
// problem such a change causes names the capability in its tools field.
func (a *API) AcceptTools(capability string) (Workspace, error) {
	if v, ok, err := forward[Workspace](a, "AcceptTools", capability); ok {
		return v, err
	}
	return a.edit(func(ws *workspace.Workspace) (workspace.Snapshot, error) {
		return ws.AcceptTools(a.context(), capability)
	})
}

// toolsChanged returns the mcp capability of ar whose changed tool list
// err (why the army is not running) tells of, or "".
func toolsChanged(ar *army.Army, err error) string {
	if ar == nil || !errors.Is(err, mcp.ErrToolsChanged) {
		return ""
	}
	msg := err.Error()
	for _, c := range ar.Capabilities {
		// The engine names the capability it failed to provision.
		if c.Kind == mcp.ID && strings.Contains(msg, "capability "+strconv.Quote(c.Name)+":") {
			return c.Name
		}
	}
	return ""
}
