package mcp

import (
	"context"
	"encoding/json"
	"fmt"

	"littleboxes/capabilities"
)

// Pending lists the tool change waiting for the owner's acceptance for the
// army's instance named instance (what Accept would accept), as the error
// of the refused provision told it: "new tool x", "tool y removed", "tool z
// changed (…)", sorted. It returns nil when nothing is pending.
func Pending(ctx context.Context, st capabilities.Storage, army, instance string) ([]string, error) {
	if st == nil {
		return nil, fmt.Errorf("the pending tools of %s: %w", instance, capabilities.ErrUnavailable)
	}
	ns, err := namespace(army, instance)
	if err != nil {
		return nil, fmt.Errorf("the pending %w", err)
	}
	raw, ok, err := st.Get(ctx, ns, pendingKey)
	if err != nil || !ok {
		return nil, err
	}
	var pending, pinned toolHashes
	if err := json.Unmarshal(raw, &pending); err != nil {
		return nil, fmt.Errorf("reading the pending tools of %s: %w", instance, err)
	}
	if raw, ok, err := st.Get(ctx, ns, pinnedKey); err != nil {
		return nil, err
	} else if ok {
		if err := json.Unmarshal(raw, &pinned); err != nil {
			return nil, fmt.Errorf("reading the pinned tools of %s: %w", instance, err)
		}
	}
	return diff(pinned, pending), nil
}
