package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"littleboxes/app/army"
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
only llm capability.
`

// cmdWrite implements `littleboxes write`.
func cmdWrite(args []string, std IO) int {
	args, err := exampleArg(args, "--model", "--input", "--attempts")
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes write: %v\n", err)
		return ExitFailed
	}
	fs := flag.NewFlagSet("write", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	data := fs.String("data", "", "the data `DIR` (default $XDG_DATA_HOME/littleboxes)")
	model := fs.String("model", "", "the llm `CAPABILITY` that writes the code")
	input := fs.String("input", "null", "the `JSON` sample input of the dry run")
	attempts := fs.Int("attempts", 0, "how many tries, the first included (default 3)")
	save := fs.Bool("save", false, "write the code into the army")
	inProcess := inProcessFlag(fs)
	fs.Usage = func() { io.WriteString(std.Stderr, writeUsage+"\nFlags:\n"); fs.PrintDefaults() }
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if len(pos) != 3 || strings.TrimSpace(pos[2]) == "" {
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
	se, code := startEngine(engineStart{cmd: "write", army: a, path: path, data: *data, std: std, inProcess: *inProcess, cells: 1})
	if code != ExitOK {
		return code
	}
	defer se.Close()
	ctx, e, stdout, stderr := se.Ctx, se.Engine, se.Stdout, se.Stderr
	name := pos[1]
	if ag.Template != nil {
		// Any instance will do: they share the declaration.
		for _, n := range e.Agents() {
			if strings.HasPrefix(n, ag.Name+"[") {
				name = n
				break
			}
		}
	}
	authored, err := e.Describe(ctx, name, pos[2], *model, in, *attempts)
	if authored != nil {
		printAttempts(stderr, authored)
	}
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes write: %v\n", err)
		if errors.Is(err, engine.ErrNoModel) {
			return ExitUsage
		}
		return ExitFailed
	}
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
	return ExitOK
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
template's runs are its instances' (AGENT or AGENT[ITEM]).
`

// cmdRuns implements `littleboxes runs`.
func cmdRuns(args []string, std IO) int {
	args, err := exampleArg(args, "--limit")
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes runs: %v\n", err)
		return ExitFailed
	}
	fs := flag.NewFlagSet("runs", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	data := fs.String("data", "", "the data `DIR` (default $XDG_DATA_HOME/littleboxes)")
	limit := fs.Int("limit", 20, "at most `N` runs")
	asJSON := fs.Bool("json", false, "print the run records as JSON")
	fs.Usage = func() { io.WriteString(std.Stderr, runsUsage+"\nFlags:\n"); fs.PrintDefaults() }
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if len(pos) != 2 || *limit < 1 {
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
	st, err := openStore(*data)
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes runs: %v\n", err)
		return ExitFailed
	}
	defer st.Close()
	_, stdout, stderr, flush := armRedactor(context.Background(), "runs", a, st, std.Stdout, std.Stderr)
	defer flush()
	names, err := engine.RunAgents(st, a.Name)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes runs: %v\n", err)
		return ExitFailed
	}
	names = slices.DeleteFunc(names, func(n string) bool { return n != pos[1] && !strings.HasPrefix(n, pos[1]+"[") })
	runs, err := engine.RunsOf(st, a.Name, names, *limit)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes runs: %v\n", err)
		return ExitFailed
	}
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

// templateName returns the template of "T[ITEM]", or name.
func templateName(name string) string {
	if i := strings.IndexByte(name, '['); i > 0 {
		return name[:i]
	}
	return name
}
