package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"littleboxes/app/army"
	"littleboxes/app/armyrun"
	"littleboxes/app/engine"
	"littleboxes/app/store"
	"littleboxes/vault"
)

// loadArmy loads the army file arg (made absolute) for command cmd; on
// failure it says why on stderr and returns the exit code (ExitUsage).
func loadArmy(cmd, arg string, stderr io.Writer) (string, *army.Army, int) {
	path, err := filepath.Abs(arg)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes %s: %v\n", cmd, err)
		return "", nil, ExitUsage
	}
	a, err := army.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes %s: %v\n", cmd, err)
		return "", nil, ExitUsage
	}
	return path, a, ExitOK
}

// engineStart says how a command starts its army's engine (startEngine).
type engineStart struct {
	cmd  string     // the command's name, for messages
	army *army.Army // the army (loadArmy)
	path string     // its file
	data string     // the --data flag
	std  IO         // the command's streams
	// stdoutIsProtocol keeps the command's stdout away from the redacting
	// writer (it carries a protocol, as littleboxes mcp's does): Stdout is
	// then io.Discard.
	stdoutIsProtocol bool
	inProcess        bool // --in-process
	cells            int  // the pool's size; 0: one per CPU
	// timestamps starts each log line with the time and writes it at once,
	// for a command that runs long.
	timestamps bool
	// active fires the army's triggers (littleboxes run ARMY); else the
	// engine is passive: it runs only what the command asks.
	active bool
}

// startedEngine is an army's engine started for one command (passively,
// unless engineStart.active: no trigger fires), with what the command
// writes through.
type startedEngine struct {
	// Ctx ends on SIGINT or SIGTERM.
	Ctx    context.Context
	Engine *engine.Engine
	// Stdout and Stderr are the command's streams, redacted of every
	// secret the army references and littleboxes keeps.
	Stdout, Stderr *vault.Writer
	// Logf logs to Stderr.
	Logf func(format string, args ...any)

	undo []func() // run in reverse by Close
}

// startEngine opens the store in the data directory (refused, saying so,
// while another littleboxes holds it), arms the redactor, starts the
// runner (cells, or this process) and the army's engine (passively unless
// o.active). On
// failure it has said why on stderr, released what it took, and returns
// the exit code; else ExitOK, and the caller must Close what it returns.
func startEngine(o engineStart) (*startedEngine, int) {
	st, err := openStore(o.data)
	if errors.Is(err, store.ErrLocked) {
		fmt.Fprintf(o.std.Stderr, "littleboxes %s: the data directory is in use by another littleboxes (the window, run or mcp): "+
			"stop it first, or pass --data for another directory (%v)\n", o.cmd, err)
		return nil, ExitFailed
	}
	if err != nil {
		fmt.Fprintf(o.std.Stderr, "littleboxes %s: %v\n", o.cmd, err)
		return nil, ExitFailed
	}
	s := &startedEngine{undo: []func(){func() { st.Close() }}}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	s.Ctx = ctx
	s.undo = append(s.undo, stop)
	stdout := o.std.Stdout
	if o.stdoutIsProtocol {
		// What the protocol carries, the engine has redacted already.
		stdout = io.Discard
	}
	red, outw, errw, flush := armRedactor(ctx, o.cmd, o.army, st, stdout, o.std.Stderr)
	s.Stdout, s.Stderr = outw, errw
	s.undo = append(s.undo, flush)
	if o.timestamps {
		s.Logf = func(format string, args ...any) {
			fmt.Fprintf(errw, time.Now().Format("15:04:05.000 ")+strings.TrimSuffix(format, "\n")+"\n", args...)
			_ = errw.Flush()
		}
	} else {
		s.Logf = func(format string, args ...any) { fmt.Fprintf(errw, strings.TrimSuffix(format, "\n")+"\n", args...) }
	}
	fail := func(err error) (*startedEngine, int) {
		fmt.Fprintf(errw, "littleboxes %s: %v\n", o.cmd, err)
		s.Close()
		return nil, ExitFailed
	}
	runner, closeRunner, err := armyrun.NewRunner(o.inProcess, o.cells, s.Logf)
	if err != nil {
		return fail(err)
	}
	s.undo = append(s.undo, closeRunner)
	e, err := armyrun.Start(ctx, armyrun.Options{Army: o.army, ArmyPath: o.path, Store: st, Redactor: red, Seeded: true,
		Runner: runner, Passive: !o.active, Logf: s.Logf})
	if err != nil {
		return fail(err)
	}
	s.Engine = e
	s.undo = append(s.undo, func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Close(cctx)
	})
	return s, ExitOK
}

// Close stops the engine and the runner, flushes the streams and closes
// the store, in that order.
func (s *startedEngine) Close() {
	for i := len(s.undo) - 1; i >= 0; i-- {
		s.undo[i]()
	}
	s.undo = nil
}
