package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestArmiesShareNothing: two armies on one data directory, each with an
// agent named leaker, keep their own effects, runs and reports: an effect
// held by one cannot be approved or denied by the other's engine.
func TestArmiesShareNothing(t *testing.T) {
	dir := t.TempDir()
	st := openBolt(t, dir)
	other := strings.Replace(leakyArmy, "name: leaky", "name: other", 1)
	ea := newEngine(t, parse(t, leakyArmy), st, nil)
	id := holdOne(t, ea)
	if err := ea.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	eb := newEngine(t, parse(t, other), st, nil)
	defer eb.Close(context.Background())
	before := sent.Load()
	tests := []struct {
		name string
		do   func() error
	}{
		{"approve", func() error { _, err := eb.Approve(context.Background(), id); return err }},
		{"deny", func() error { _, err := eb.Deny(context.Background(), id); return err }},
		{"effect", func() error { _, err := eb.Effect(id); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errors.Is(err, ErrNoEffect) {
				t.Fatalf("%s of army leaky's effect %s under army other: %v, want ErrNoEffect", tt.name, id, err)
			}
		})
	}
	if sent.Load() != before {
		t.Fatal("army other performed army leaky's effect")
	}
	if efs, _ := eb.List(); len(efs) != 0 {
		t.Errorf("army other lists %d effects of army leaky", len(efs))
	}
	if runs, _ := eb.Runs("leaker", 10); len(runs) != 0 {
		t.Errorf("army other sees %d runs of army leaky's leaker", len(runs))
	}
	// Army leaky, opened again, still has its effect pending and can decide it.
	eb.Close(context.Background())
	ea = newEngine(t, parse(t, leakyArmy), st, nil)
	defer ea.Close(context.Background())
	ef, err := ea.Approve(context.Background(), id)
	if err != nil || ef.Status != StatusApproved {
		t.Fatalf("army leaky approving its own effect: %+v, %v", ef, err)
	}
	if runs, _ := ea.Runs("leaker", 10); len(runs) == 0 {
		t.Error("army leaky lost its runs")
	}
}
