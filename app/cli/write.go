package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"strings"
	"time"

	"littleboxes/app/army"
	"littleboxes/app/daemon"
	"littleboxes/app/engine"
)

const writeUsage = `usage: littleboxes write ARMY|EXAMPLE AGENT "DESCRIPTION" [--model CAPABILITY] [--input JSON] [--attempts N] [--save] [--data DIR]

A model writes AGENT's module from DESCRIPTION, against the agent's env
declaration (exactly its bindings). Each attempt is compiled and dry-run on
--input (default null): reading methods read for real, writing methods are
simulated, not performed, and listed; errors go back to the model for another
attempt. The result is printed as a diff against the agent's code; --save
writes it (into the agent's code file, or the army file when the code is
inline). The model is --model, else the agent's own model, else the army's
only llm capability. When an engine runs for the data directory, write asks
it, over its socket (the code is saved here).
`

// cmdWrite implements `littleboxes write`.
func cmdWrite(args []string, std IO) int {
	args, err := exampleArg(args, "--model", "--input", "--attempts")
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes write: %v\n", err)
		return ExitFailed
	}
	fs := commandFlags("write", writeUsage, std.Stderr)
	data := dataFlag(fs)
	model := fs.String("model", "", "the llm `CAPABILITY` that writes the code")
	input := fs.String("input", "null", "the `JSON` sample input of the dry run")
	attempts := fs.Int("attempts", 0, "how many tries, the first included (default 3)")
	save := fs.Bool("save", false, "write the code into the army")
	inProcess := inProcessFlag(fs)
	pos, code, stop := parseArgs(fs, args, 3)
	if stop {
		return code
	}
	if strings.TrimSpace(pos[2]) == "" {
		fs.Usage()
		return ExitUsage
	}
	var in any
	if err := json.Unmarshal([]byte(*input), &in); err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes write: --input is not valid JSON: %v\n", err)
		return ExitUsage
	}
	path, a, code := loadArmy("write", pos[0], std.Stderr)
	if code != ExitOK {
		return code
	}
	ag := a.Agent(pos[1])
	if ag == nil {
		fmt.Fprintf(std.Stderr, "littleboxes write: the army has no agent %q\n", pos[1])
		return ExitUsage
	}
	w := writeRequest{army: a, path: path, agent: ag, description: pos[2], model: *model, input: *input, attempts: *attempts,
		data: *data, inProcess: *inProcess}
	authored, stdout, stderr, running, done, code := w.write(std)
	if code != ExitOK {
		return code
	}
	defer done()
	for _, c := range authored.Calls {
		fmt.Fprintf(stdout, "would call %s\n", c)
	}
	if v, err := json.Marshal(authored.Value); err == nil {
		fmt.Fprintf(stdout, "dry run result: %s\n", v)
	}
	if authored.Diff == "" {
		fmt.Fprintln(stdout, "the code is unchanged")
	} else {
		io.WriteString(stdout, authored.Diff)
	}
	if !*save {
		fmt.Fprintln(stdout, "(not saved: run again with --save to keep it)")
		return ExitOK
	}
	where, err := saveCode(a, path, ag, authored.Code)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes write: saving: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintf(stdout, "saved to %s\n", where)
	if running {
		fmt.Fprintf(stdout, "(the engine runs army %s with the code it loaded: littleboxes stop %s, then run it again, to run the new code)\n", a.Name, a.Name)
	}
	return ExitOK
}

// writeRequest is a `littleboxes write` as parsed.
type writeRequest struct {
	army        *army.Army
	path        string // the army file, absolute
	agent       *army.Agent
	description string
	model       string
	input       string // JSON
	attempts    int
	data        string
	inProcess   bool
}

// write has the model write the agent's code: in the data directory's
// engine when one runs (running reports whether it runs the army), else in
// an engine started passively in this process. It returns the result and
// the streams to print to; done releases what it took. On failure it has
// said why (and how each attempt went) and returns the exit code.
func (w writeRequest) write(std IO) (authored *engine.Authored, stdout, stderr io.Writer, running bool, done func(), code int) {
	ctx := context.Background()
	c, err := dialEngine(ctx, w.data)
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes write: %v\n", err)
		return nil, nil, nil, false, nil, ExitFailed
	}
	if c != nil {
		defer c.Close()
		var out daemon.Written
		if err := c.Call(ctx, daemon.MethodWrite, &out, w.path, w.agent.Name, w.description, w.model, w.input, w.attempts); err != nil {
			fmt.Fprintf(std.Stderr, "littleboxes write: %v\n", err)
			return nil, nil, nil, false, nil, ExitFailed
		}
		if len(out.Authored) > 0 {
			authored = new(engine.Authored)
			if err := json.Unmarshal(out.Authored, authored); err != nil {
				fmt.Fprintf(std.Stderr, "littleboxes write: the engine's answer: %v\n", err)
				return nil, nil, nil, false, nil, ExitFailed
			}
			printAttempts(std.Stderr, authored)
		}
		switch {
		case out.Error != "":
			fmt.Fprintf(std.Stderr, "littleboxes write: %s\n", out.Error)
			if out.NoModel {
				return nil, nil, nil, false, nil, ExitUsage
			}
			return nil, nil, nil, false, nil, ExitFailed
		case authored == nil:
			fmt.Fprintln(std.Stderr, "littleboxes write: the engine returned no code")
			return nil, nil, nil, false, nil, ExitFailed
		}
		var rs []daemon.Running
		_ = c.Call(ctx, daemon.MethodListRunning, &rs)
		for _, r := range rs {
			running = running || (r.Name == w.army.Name && r.NotRunning == "")
		}
		return authored, std.Stdout, std.Stderr, running, func() {}, ExitOK
	}
	var in any
	_ = json.Unmarshal([]byte(w.input), &in) // checked by cmdWrite
	se, code := startEngine(engineStart{cmd: "write", army: w.army, path: w.path, data: w.data, std: std, inProcess: w.inProcess, cells: 1})
	if code != ExitOK {
		return nil, nil, nil, false, nil, code
	}
	name := w.agent.Name
	if insts := se.Engine.Instances(name); len(insts) > 0 {
		name = insts[0] // a template: its instances share the declaration
	}
	authored, err = se.Engine.Describe(se.Ctx, name, w.description, w.model, in, w.attempts)
	if authored != nil {
		printAttempts(se.Stderr, authored)
	}
	if err != nil {
		fmt.Fprintf(se.Stderr, "littleboxes write: %v\n", err)
		se.Close()
		if errors.Is(err, engine.ErrNoModel) {
			return nil, nil, nil, false, nil, ExitUsage
		}
		return nil, nil, nil, false, nil, ExitFailed
	}
	return authored, se.Stdout, se.Stderr, false, se.Close, ExitOK
}

// printAttempts says how each attempt went.
func printAttempts(w io.Writer, a *engine.Authored) {
	for i, at := range a.Attempts {
		tokens := ""
		if at.Usage != nil {
			tokens = fmt.Sprintf(", %d tokens", at.Usage.TotalTokens)
		}
		if at.Error == "" {
			fmt.Fprintf(w, "attempt %d (%s%s): ok\n", i+1, a.Model, tokens)
		} else {
			fmt.Fprintf(w, "attempt %d (%s%s): %s\n", i+1, a.Model, tokens, clip(at.Error, 300))
		}
	}
}

// saveCode makes code ag's code: into its code file, or, for inline code
// (or an instructions agent), into the army file. It returns the file
// written.
func saveCode(a *army.Army, path string, ag *army.Agent, code string) (string, error) {
	if ag.CodePath != "" {
		f := filepath.Join(a.Dir, filepath.FromSlash(ag.CodePath))
		return f, army.WriteFile(f, []byte(code))
	}
	ag.Code, ag.Instructions, ag.Model, ag.Mode, ag.Attempts = code, "", "", "", 0
	out, err := a.Export()
	if err != nil {
		return "", err
	}
	if _, err := army.Parse(out, a.Dir); err != nil {
		return "", fmt.Errorf("the army with the new code does not load: %w", err)
	}
	return path, army.WriteFile(path, out)
}

const runsUsage = `usage: littleboxes runs ARMY|EXAMPLE AGENT [--limit N] [--json] [--data DIR]

Lists AGENT's recent runs, newest first: trigger, status, result or error,
and for an instructions agent each attempt's code, error and token usage. A
template's runs are its instances' (AGENT or AGENT[ITEM]). When an engine
runs for the data directory, runs asks it, over its socket.
`

// cmdRuns implements `littleboxes runs`.
func cmdRuns(args []string, std IO) int {
	args, err := exampleArg(args, "--limit")
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes runs: %v\n", err)
		return ExitFailed
	}
	fs := commandFlags("runs", runsUsage, std.Stderr)
	data := dataFlag(fs)
	limit := fs.Int("limit", 20, "at most `N` runs")
	asJSON := fs.Bool("json", false, "print the run records as JSON")
	pos, code, stop := parseArgs(fs, args, 2)
	if stop {
		return code
	}
	if *limit < 1 {
		fs.Usage()
		return ExitUsage
	}
	a, err := army.Load(pos[0])
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes runs: %v\n", err)
		return ExitUsage
	}
	if a.Agent(templateName(pos[1])) == nil {
		fmt.Fprintf(std.Stderr, "littleboxes runs: the army has no agent %q\n", pos[1])
		return ExitUsage
	}
	runs, stdout, stderr, done, code := agentRuns(a, pos[1], *limit, *data, std)
	if code != ExitOK {
		return code
	}
	defer done()
	if *asJSON {
		b, err := json.MarshalIndent(runs, "", "  ")
		if err != nil {
			fmt.Fprintf(stderr, "littleboxes runs: %v\n", err)
			return ExitFailed
		}
		fmt.Fprintln(stdout, string(b))
		return ExitOK
	}
	if len(runs) == 0 {
		fmt.Fprintf(stdout, "%s has no runs yet\n", pos[1])
	}
	for _, r := range runs {
		when := time.UnixMilli(r.Start).Format("2006-01-02 15:04:05")
		out := string(r.Result)
		if r.Error != "" {
			out = r.Error
		}
		fmt.Fprintf(stdout, "%s  %s  %s  %s  %s\n", when, r.Agent, r.Trigger, r.Status, clip(out, 200))
		for i, at := range r.Attempts {
			how := "ok"
			if at.Error != "" {
				how = clip(at.Error, 200)
			}
			if at.Cached {
				how += " (the cached plan)"
			}
			if at.Usage != nil {
				how += fmt.Sprintf(" [%d tokens]", at.Usage.TotalTokens)
			}
			fmt.Fprintf(stdout, "  attempt %d: %s\n", i+1, how)
			for _, l := range strings.Split(strings.TrimRight(at.Code, "\n"), "\n") {
				fmt.Fprintf(stdout, "    | %s\n", l)
			}
		}
	}
	return ExitOK
}

// agentRuns returns army a's agent's newest limit runs, and the streams to
// print them to: through the engine when one runs for the data directory
// (which redacts them), else from the store in this process (through
// writers redacting every secret littleboxes knows). done flushes and
// releases; on failure it has said why and returns the exit code.
func agentRuns(a *army.Army, agent string, limit int, data string, std IO) (runs []engine.RunRecord, stdout, stderr io.Writer, done func(), code int) {
	ctx := context.Background()
	c, err := dialEngine(ctx, data)
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes runs: %v\n", err)
		return nil, nil, nil, nil, ExitFailed
	}
	if c != nil {
		defer c.Close()
		if err := c.Call(ctx, daemon.MethodRuns, &runs, a.Name, agent, limit); err != nil {
			fmt.Fprintf(std.Stderr, "littleboxes runs: %v\n", err)
			return nil, nil, nil, nil, ExitFailed
		}
		return runs, std.Stdout, std.Stderr, func() {}, ExitOK
	}
	st, err := openStore(data)
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes runs: %v\n", err)
		return nil, nil, nil, nil, ExitFailed
	}
	_, outw, errw, flush := armRedactor(ctx, "runs", a, st, std.Stdout, std.Stderr)
	done = func() { flush(); st.Close() }
	if runs, err = engine.AgentRuns(st, a.Name, agent, limit); err != nil {
		fmt.Fprintf(errw, "littleboxes runs: %v\n", err)
		done()
		return nil, nil, nil, nil, ExitFailed
	}
	return runs, outw, errw, done, ExitOK
}

// templateName returns the template of "T[ITEM]", or name.
func templateName(name string) string {
	if i := strings.IndexByte(name, '['); i > 0 {
		return name[:i]
	}
	return name
}
