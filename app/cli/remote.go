package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"littleboxes/app/army"
	"littleboxes/app/daemon"
	"littleboxes/app/engine"
	"littleboxes/app/events"
)

// runRequest is a `littleboxes run` as parsed.
type runRequest struct {
	data      string
	path      string // the army file, absolute
	army      *army.Army
	once      string
	input     string // JSON
	inProcess bool
	host      daemon.Host
	// owns is set once this run started the army (in an engine, or as
	// the engine): Ctrl-C stops it then, across the engine's restarts.
	owns *bool
}

// timedLogf returns a logf writing time-stamped lines to w.
func timedLogf(w io.Writer) func(format string, args ...any) {
	return func(format string, args ...any) {
		fmt.Fprintf(w, time.Now().Format("15:04:05.000 ")+strings.TrimSuffix(format, "\n")+"\n", args...)
	}
}

// runViaEngine does `run` through the engine of the data directory when one
// runs, or, for a long-lived run with a Host, becomes that engine (hosting
// the local API while the army runs). done is false when the caller is to
// run the army in-process, as before: --once with no engine, or no Host.
func runViaEngine(ctx context.Context, r runRequest, stdout, stderr io.Writer) (code int, done bool) {
	for {
		code, done, gone := runOnEngine(ctx, r, stdout, stderr)
		if !gone || r.host == nil || ctx.Err() != nil {
			return code, done
		}
		// The engine followed went away (stopped, killed): the army is to
		// run until Ctrl-C, so run it here, or follow the engine that took
		// over.
		fmt.Fprintln(stderr, "littleboxes run: the engine stopped; taking over")
		select {
		case <-ctx.Done():
			return ExitOK, true
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// runOnEngine is one try of runViaEngine; gone reports that the engine it
// followed went away.
func runOnEngine(ctx context.Context, r runRequest, stdout, stderr io.Writer) (code int, done, gone bool) {
	c, err := dialEngine(ctx, r.data)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes run: %v\n", err)
		return ExitFailed, true, false
	}
	if c == nil {
		if r.once != "" || r.host == nil {
			return 0, false, false
		}
		dir, err := dataDir(r.data)
		if err != nil {
			fmt.Fprintf(stderr, "littleboxes run: %v\n", err)
			return ExitFailed, true, false
		}
		logf := timedLogf(stderr)
		err = r.host(ctx, daemon.HostOptions{DataDir: dir, ArmyPath: r.path, InProcess: r.inProcess, Logf: logf, Owns: *r.owns,
			Ready: func(agents int) {
				logf("running army %s (%d agents); other commands reach it on %s; stop with Ctrl-C",
					r.army.Name, agents, daemon.SocketPath(dir))
			}})
		switch {
		case err == nil:
			logf("stopped")
			return ExitOK, true, false
		case !errors.Is(err, daemon.ErrRunning):
			fmt.Fprintf(stderr, "littleboxes run: %v\n", err)
			return ExitFailed, true, false
		}
		// An engine started meanwhile: be its client, once it listens (it
		// holds the lock before its socket is there).
		for deadline := time.Now().Add(dialTimeout); ; {
			c, err = dialEngine(ctx, r.data)
			if err != nil || c != nil || time.Now().After(deadline) || ctx.Err() != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if c == nil {
			fmt.Fprintf(stderr, "littleboxes run: the engine that started meanwhile does not answer: %v\n", err)
			return ExitFailed, true, false
		}
	}
	defer c.Close()
	if r.once != "" {
		return runOnceRemote(ctx, c, r, stdout, stderr), true, false
	}
	code, gone = followRemote(ctx, c, r, stderr)
	return code, true, gone
}

// runOnceRemote runs one agent once in the engine and prints as run --once
// does in-process.
func runOnceRemote(ctx context.Context, c *daemon.Client, r runRequest, stdout, stderr io.Writer) int {
	var res daemon.OnceResult
	if err := c.Call(ctx, daemon.MethodRunOnce, &res, r.path, r.once, r.input); err != nil {
		fmt.Fprintf(stderr, "littleboxes run: %v\n", err)
		return ExitFailed
	}
	printConsole(stderr, res.Console)
	if res.Report != "" || res.Code != 0 {
		io.WriteString(stderr, res.Report)
		if res.Code == 0 {
			return ExitFailed
		}
		return res.Code
	}
	// As in-process: indented (the answer's JSON comes compacted).
	var buf bytes.Buffer
	if err := json.Indent(&buf, res.Value, "", "  "); err != nil {
		fmt.Fprintf(stderr, "littleboxes run: the engine's result: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintln(stdout, buf.String())
	return ExitOK
}

// followRemote asks the engine to run the army besides the others, then
// prints the army's events until ctx is done or the engine goes (gone).
// When ctx ends, the army stops if this run started it (r.owns); one that
// ran before keeps running.
func followRemote(ctx context.Context, c *daemon.Client, r runRequest, stderr io.Writer) (code int, gone bool) {
	logf := timedLogf(stderr)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	evs, err := c.Events(sctx)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes run: %v\n", err)
		return ExitFailed, false
	}
	var pid int
	_ = c.Call(ctx, daemon.MethodPid, &pid)
	var st daemon.Started
	if err := c.Call(ctx, daemon.MethodStart, &st, r.path); err != nil {
		fmt.Fprintf(stderr, "littleboxes run: %v\n", err)
		return ExitFailed, false
	}
	if st.NotRunning != "" {
		fmt.Fprintf(stderr, "littleboxes run: %s\n", st.NotRunning)
		return ExitFailed, false
	}
	*r.owns = *r.owns || st.Started
	how := "Ctrl-C stops it"
	if !*r.owns {
		how = "it ran before this run: Ctrl-C stops printing, the army keeps running (littleboxes stop " + st.Name + " stops it)"
	}
	logf("running army %s (%d agents) in the engine (pid %d); printing its events; %s", st.Name, st.Agents, pid, how)
	for ev := range evs {
		if ev.Type == events.ArmyStopped && ev.Army == st.Name {
			logf("army %s was stopped (littleboxes stop, or another client)", st.Name)
			return ExitOK, false
		}
		if ev.Army == "" || ev.Army == st.Name {
			logf("%s", eventLine(ev))
		}
	}
	if ctx.Err() != nil {
		if *r.owns {
			logf("stopping army %s", st.Name)
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := c.Call(sctx, daemon.MethodStop, nil, st.Name); err != nil {
				fmt.Fprintf(stderr, "littleboxes run: stopping army %s: %v\n", st.Name, err)
				return ExitFailed, false
			}
		}
		return ExitOK, false
	}
	fmt.Fprintln(stderr, "littleboxes run: the engine stopped")
	return ExitFailed, true
}

// eventLine is an engine event as run prints it.
func eventLine(ev events.Event) string {
	var b strings.Builder
	b.WriteString(ev.Type)
	if ev.Agent != "" {
		b.WriteString(" " + ev.Agent)
	}
	if ev.To != "" {
		b.WriteString(" → " + ev.To)
	}
	if ev.Detail != "" {
		b.WriteString(" " + ev.Detail)
	}
	if ev.ID != "" {
		b.WriteString(" id " + ev.ID)
	}
	if ev.Error != "" {
		b.WriteString(": " + ev.Error)
	}
	return b.String()
}

// approvalsViaEngine does `approvals SUB` through the engine of the data
// directory when one runs; done is false when none runs. name and file are
// approvalsArmy's: the army ("" for each with data) and its file ("" when
// --army named it).
func approvalsViaEngine(sub string, pos []string, data, name, file string, all bool, stdout, stderr io.Writer) (code int, done bool) {
	ctx := context.Background()
	c, err := dialEngine(ctx, data)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes approvals: %v\n", err)
		return ExitFailed, true
	}
	if c == nil {
		return 0, false
	}
	defer c.Close()
	fail := func(err error) (int, bool) {
		fmt.Fprintf(stderr, "littleboxes approvals: %v\n", err)
		return ExitFailed, true
	}
	var armies []string
	if name == "" {
		if err := c.Call(ctx, daemon.MethodArmyNames, &armies); err != nil {
			return fail(err)
		}
	} else {
		armies = []string{name}
	}
	if sub == "list" {
		err := listApprovals(stdout, armies, func(arm string) ([]engine.Effect, error) {
			var efs []engine.Effect
			err := c.Call(ctx, daemon.MethodArmyApprovals, &efs, arm, all)
			return efs, err
		})
		if err != nil {
			return fail(err)
		}
		return ExitOK, true
	}
	if name == "" {
		var code int
		if name, code = onlyArmy(armies, stderr); name == "" {
			return code, true
		}
	}
	var ef engine.Effect
	if err := c.Call(ctx, daemon.MethodDecide, &ef, name, file, pos[0], sub == "approve"); err != nil {
		return fail(err)
	}
	return printDecided(stdout, ef), true
}
