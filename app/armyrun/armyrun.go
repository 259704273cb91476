// Package armyrun starts an army, the one way the command line (`run`,
// `approvals`) and the app's workspace both do: the redactor seeded with
// every secret the army references and littleboxes keeps, the store
// written through that redactor, the vault over the OS keyring, a runner
// (cells or this process), and engine.New.
package armyrun

import (
	"context"
	"fmt"

	"littleboxes/app/army"
	"littleboxes/app/engine"
	"littleboxes/app/secrets"
	"littleboxes/app/store"
	"littleboxes/sandbox"
	"littleboxes/sandbox/cell"
	"littleboxes/vault"
)

// Options says what army to start and with what.
type Options struct {
	// Army is the army to run. Required.
	Army *army.Army
	// ArmyPath is the army file, remembered so that `approvals` can load
	// it again; "" when there is none.
	ArmyPath string
	// Store is the store; Start writes to it through Redactor. Required.
	Store store.Store
	// Redactor learns every secret the army references before anything
	// runs, and redacts every write to the store and every error Start
	// returns. Required.
	Redactor *vault.Redactor
	// Seeded says Redactor already knows the army's secrets (the caller
	// called secrets.Seed with this army), so Start does not read them
	// from the keyring again.
	Seeded bool
	// Runner runs the invocations (see NewRunner). Required.
	Runner sandbox.Runner
	// Passive starts no trigger: the engine runs what it is asked to
	// (`run --once`, approving an effect) and nothing else.
	Passive bool
	// Logf logs the engine's messages; nil discards them.
	Logf func(format string, args ...any)
}

// Start seeds the redactor (unless Seeded; a secret that cannot be read is
// logged, and the army starts anyway), opens the vault and starts the
// engine on the army. The error, redacted, says why the army could not
// start.
func Start(ctx context.Context, o Options) (*engine.Engine, error) {
	if o.Redactor == nil || o.Store == nil || o.Army == nil || o.Runner == nil {
		return nil, fmt.Errorf("armyrun: Army, Store, Redactor and Runner are required")
	}
	engine.TuneGC()
	if !o.Seeded {
		if err := secrets.Seed(ctx, o.Army, o.Store, o.Redactor); err != nil && o.Logf != nil {
			o.Logf("%v", err)
		}
	}
	opts := engine.Options{Army: o.Army, ArmyPath: o.ArmyPath, Store: secrets.RedactStore(o.Store, o.Redactor),
		Redactor: o.Redactor, Runner: o.Runner, Passive: o.Passive, Logf: o.Logf}
	v, err := secrets.For(ctx, o.Army, o.Store, o.Redactor)
	if err != nil {
		return nil, redacted{err, o.Redactor}
	}
	if v != nil {
		opts.Secrets = v
	}
	e, err := engine.New(ctx, opts)
	if err != nil {
		return nil, redacted{err, o.Redactor}
	}
	return e, nil
}

// redacted is an error whose text passes a redactor; errors.Is and As see
// the error beneath.
type redacted struct {
	err error
	red *vault.Redactor
}

func (r redacted) Error() string { return r.red.String(r.err.Error()) }
func (r redacted) Unwrap() error { return r.err }

// NewRunner returns what runs agent invocations: a pool of cells (worker
// processes that can be capped and killed, sandbox/cell), or, with
// inProcess, this process. cells is the pool's size (0: one per CPU); logf
// logs the cells' messages (nil: none). close releases the runner; call it
// after the engines using it are closed.
func NewRunner(inProcess bool, cells int, logf func(string, ...any)) (r sandbox.Runner, close func(), err error) {
	if inProcess {
		return sandbox.NewInProcess(), func() {}, nil
	}
	pool, err := cell.NewPool(cell.Options{Cells: cells, Logf: logf})
	if err != nil {
		return nil, nil, fmt.Errorf("starting the cells that run agents: %w (--in-process runs them in this process)", err)
	}
	return pool, func() { _ = pool.Close() }, nil
}
