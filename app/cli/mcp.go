package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"littleboxes/app/army"
	"littleboxes/app/armyrun"
	"littleboxes/app/mcp"
	"littleboxes/app/store"
)

const mcpUsage = `usage: littleboxes mcp ARMY|EXAMPLE [--agent NAME] [--http 127.0.0.1:PORT] [--data DIR]

Serves one agent of the army as an MCP server with two tools: search (the
TypeScript declaration of the agent's env, or the parts matching a query) and
execute (code run once in a fresh isolate with exactly the agent's guarded
bindings, recorded as a run of the agent; a flagged call is held for the
owner's approval). --agent names the agent (default: the army's only one).

Over stdin and stdout by default, for a desktop MCP client that starts it:
  {"command": "littleboxes", "args": ["mcp", "/path/to/army.yaml", "--agent", "NAME"]}
With --http, streamable HTTP on that loopback address instead, behind a
token printed on stderr, which every request must send as
"Authorization: Bearer TOKEN".

The army's engine runs inside this process, passively (no trigger fires), and
holds the data directory: the window and littleboxes run cannot use it
meanwhile, nor can approvals approve.
`

// cmdMCP implements `littleboxes mcp`.
func cmdMCP(args []string, std IO) int {
	args, err := exampleArg(args, "--agent", "--http")
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes mcp: %v\n", err)
		return ExitFailed
	}
	fs := flag.NewFlagSet("mcp", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	data := fs.String("data", "", "the data `DIR` (default $XDG_DATA_HOME/littleboxes)")
	agent := fs.String("agent", "", "the `NAME` of the agent whose env the tools expose (default: the army's only agent)")
	httpAddr := fs.String("http", "", "serve streamable HTTP on this loopback `ADDRESS` (127.0.0.1:PORT) instead of stdio")
	inProcess := inProcessFlag(fs)
	fs.Usage = func() { io.WriteString(std.Stderr, mcpUsage+"\nFlags:\n"); fs.PrintDefaults() }
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if len(pos) != 1 {
		fs.Usage()
		return ExitUsage
	}
	var ln net.Listener
	if *httpAddr != "" {
		host, _, err := net.SplitHostPort(*httpAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			fmt.Fprintf(std.Stderr, "littleboxes mcp: --http %q: give a loopback address, 127.0.0.1:PORT\n", *httpAddr)
			return ExitUsage
		}
		if ln, err = net.Listen("tcp", *httpAddr); err != nil {
			fmt.Fprintf(std.Stderr, "littleboxes mcp: %v\n", err)
			return ExitFailed
		}
		defer ln.Close()
	}
	path, err := filepath.Abs(pos[0])
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes mcp: %v\n", err)
		return ExitUsage
	}
	a, err := army.Load(path)
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes mcp: %v\n", err)
		return ExitUsage
	}
	st, err := openStore(*data)
	if errors.Is(err, store.ErrLocked) {
		fmt.Fprintf(std.Stderr, "littleboxes mcp: the data directory is in use by another littleboxes (the window, run or mcp): "+
			"stop it first, or pass --data for another directory (%v)\n", err)
		return ExitFailed
	}
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes mcp: %v\n", err)
		return ExitFailed
	}
	defer st.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// stdout is the protocol's (in stdio mode): only stderr is redacted here;
	// what the tools return, the engine has redacted already.
	red, _, stderr, flush := armRedactor(ctx, "mcp", a, st, io.Discard, std.Stderr)
	defer flush()
	logf := func(format string, args ...any) {
		fmt.Fprintf(stderr, time.Now().Format("15:04:05.000 ")+strings.TrimSuffix(format, "\n")+"\n", args...)
		_ = stderr.Flush()
	}
	runner, closeRunner, err := armyrun.NewRunner(*inProcess, 0, logf)
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes mcp: %v\n", err)
		return ExitFailed
	}
	defer closeRunner()
	e, err := armyrun.Start(ctx, armyrun.Options{Army: a, ArmyPath: path, Store: st, Redactor: red, Seeded: true,
		Runner: runner, Passive: true, Logf: logf})
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes mcp: %v\n", err)
		return ExitFailed
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Close(cctx)
	}()
	s, err := mcp.New(e, mcp.Options{Agent: *agent, Army: a.Name})
	if err != nil {
		fmt.Fprintf(stderr, "littleboxes mcp: %v\n", err)
		return ExitUsage
	}
	if ln != nil {
		token, err := mcp.NewToken()
		if err != nil {
			fmt.Fprintf(stderr, "littleboxes mcp: %v\n", err)
			return ExitFailed
		}
		// The token is printed raw: it is no secret the redactor knows.
		fmt.Fprintf(std.Stderr, "littleboxes mcp: serving agent %s of army %s on http://%s/ (send Authorization: Bearer %s)\n",
			s.Agent(), a.Name, ln.Addr(), token)
		err = s.ServeListener(ctx, ln, token)
		if err != nil {
			fmt.Fprintf(stderr, "littleboxes mcp: %v\n", err)
			return ExitFailed
		}
		return ExitOK
	}
	logf("serving agent %s of army %s over stdio", s.Agent(), a.Name)
	if err := s.Serve(ctx, std.Stdin, std.Stdout); err != nil {
		fmt.Fprintf(stderr, "littleboxes mcp: %v\n", err)
		return ExitFailed
	}
	return ExitOK
}
