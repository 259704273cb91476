package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"littleboxes/app/bench"
)

// cmdBench measures and prints the performance figures.
func cmdBench(args []string, std IO) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	n := fs.Int("n", 10000, "isolates alive at once for the memory figure")
	threads := fs.Int("threads", 10000, "mail threads of the whole-army figure (0: skip it)")
	scale := fs.Int("scale", 10000, "agents of the check and run --once figures (0: skip them)")
	fs.Usage = func() {
		fmt.Fprintln(std.Stderr, "usage: littleboxes bench [--json] [--n N] [--threads N] [--scale N]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		if fs.NArg() > 0 {
			fs.Usage()
		}
		return ExitUsage
	}
	if *n < 1 {
		fmt.Fprintln(std.Stderr, "littleboxes bench: --n must be at least 1")
		return ExitUsage
	}
	logf := func(format string, a ...any) { fmt.Fprintf(std.Stderr, "bench: "+format+"\n", a...) }
	armyThreads := *threads
	if armyThreads <= 0 {
		armyThreads = -1 // skip
	}
	scaleN := *scale
	if scaleN <= 0 {
		scaleN = -1 // skip
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes bench: %v\n", err)
		return ExitFailed
	}
	r, err := bench.Run(context.Background(), bench.Options{LiveAgents: *n, ArmyThreads: armyThreads, ScaleN: scaleN, Exe: exe}, logf)
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes bench: %v\n", err)
		return ExitFailed
	}
	if *asJSON {
		b, _ := json.Marshal(r)
		fmt.Fprintln(std.Stdout, string(b))
		return ExitOK
	}
	w := std.Stdout
	fmt.Fprintf(w, "spawn + first call     p50 %8.1f µs   p99 %8.1f µs   (%d samples)\n", r.SpawnP50us, r.SpawnP99us, r.SpawnSamples)
	fmt.Fprintf(w, "spawns per second      %10.0f       (%d cores)\n", r.SpawnsPerSec, r.Cores)
	fmt.Fprintf(w, "binding call           p50 %8.1f µs   p99 %8.1f µs   (%d samples)\n", r.BindingCallP50us, r.BindingCallP99us, r.BindingCallSample)
	fmt.Fprintf(w, "per live isolate       heap %6.1f KiB  stack %5.1f KiB  rss %6.1f KiB   (%d alive)\n", r.HeapPerAgentKiB, r.StackPerAgentKiB, r.RSSPerAgentKiB, r.LiveAgents)
	fmt.Fprintf(w, "in a cell              spawn p50 %6.1f µs   binding call p50 %6.1f µs\n", r.CellSpawnP50us, r.CellBindingCallP50us)
	fmt.Fprintf(w, "code mode attempt      p50 %8.1f µs   (normalise + compile + run in a cell; the model's time excluded)\n", r.CodeModeOverheadP50us)
	if r.ArmyThreads > 0 {
		fmt.Fprintf(w, "whole army             %d threads, all run once: %.1f s, peak RSS %.0f MiB (with its cells)\n", r.ArmyThreads, r.Army10kWallS, r.Army10kRSSMiB)
	}
	if r.ScaleN > 0 {
		fmt.Fprintf(w, "check                  %d threads sharing a kv namespace, every sink flagged: %.2f s\n", r.ScaleN, r.Check10kS)
		fmt.Fprintf(w, "run --once             one agent of %d: %.2f s, peak RSS %.0f MiB (with its cell)\n", r.ScaleN, r.Once10kS, r.Once10kRSSMiB)
	}
	r.MCP.Print(w)
	return ExitOK
}
