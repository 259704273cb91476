package vault

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// Memory is a Secrets in memory, for tests of other packages. The zero value
// is empty and ready to use.
type Memory struct {
	mu sync.Mutex
	m  map[string]string
}

// NewMemory returns a Memory holding a copy of secrets (name to value),
// which may be nil.
func NewMemory(secrets map[string]string) *Memory {
	return &Memory{m: maps.Clone(secrets)}
}

// Get implements Secrets.
func (m *Memory) Get(ctx context.Context, name string) (string, error) {
	if err := check(ctx, "get", name); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[name]
	if !ok {
		return "", fmt.Errorf("vault: get %q: %w", name, ErrNotFound)
	}
	return v, nil
}

// Set implements Secrets.
func (m *Memory) Set(ctx context.Context, name, value string) error {
	if err := check(ctx, "set", name); err != nil {
		return err
	}
	if err := ValidateValue(value); err != nil {
		return fmt.Errorf("vault: set %q: %w", name, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]string{}
	}
	m.m[name] = value
	return nil
}

// Delete implements Secrets.
func (m *Memory) Delete(ctx context.Context, name string) error {
	if err := check(ctx, "delete", name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.m[name]; !ok {
		return fmt.Errorf("vault: delete %q: %w", name, ErrNotFound)
	}
	delete(m.m, name)
	return nil
}

// List implements Secrets.
func (m *Memory) List(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("vault: list: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.m)), nil
}

// check validates a call's context and name.
func check(ctx context.Context, op, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("vault: %s %q: %w", op, clip(name), err)
	}
	if err := ValidateName(name); err != nil {
		return fmt.Errorf("vault: %s: %w", op, err)
	}
	return nil
}

var _ Secrets = (*Memory)(nil)
