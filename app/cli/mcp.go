package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"littleboxes/app/daemon"
	"littleboxes/app/engine"
	"littleboxes/app/mcp"
	"littleboxes/sandbox"
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

When an engine runs for the data directory (the window, littleboxes daemon or
run ARMY), the tools run there: a held call waits in that engine, where the
window and approvals list see it. Otherwise the army's engine runs inside this
process, passively (no trigger fires), and holds the data directory: the
window and littleboxes run cannot use it meanwhile, nor can approvals approve.
`

// trivialServerFlag, alone, makes `littleboxes mcp` serve the built-in
// trivial MCP server (mcp.NewTrivial) over stdio instead of an army: what
// `littleboxes bench` wraps with the mcp kind. It is not in the usage.
const trivialServerFlag = "--trivial-server"

// cmdMCP implements `littleboxes mcp`.
func cmdMCP(args []string, std IO) int {
	if len(args) == 1 && args[0] == trivialServerFlag {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := mcp.ServeTrivial(ctx, std.Stdin, std.Stdout); err != nil {
			fmt.Fprintf(std.Stderr, "littleboxes mcp: %v\n", err)
			return ExitFailed
		}
		return ExitOK
	}
	args, err := exampleArg(args, "--agent", "--http")
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes mcp: %v\n", err)
		return ExitFailed
	}
	fs := commandFlags("mcp", mcpUsage, std.Stderr)
	data := dataFlag(fs)
	agent := fs.String("agent", "", "the `NAME` of the agent whose env the tools expose (default: the army's only agent)")
	httpAddr := fs.String("http", "", "serve streamable HTTP on this loopback `ADDRESS` (127.0.0.1:PORT) instead of stdio")
	inProcess := inProcessFlag(fs)
	pos, code, done := parseArgs(fs, args, 1)
	if done {
		return code
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
	path, a, code := loadArmy("mcp", pos[0], std.Stderr)
	if code != ExitOK {
		return code
	}
	c, err := dialEngine(context.Background(), *data)
	if err != nil {
		fmt.Fprintf(std.Stderr, "littleboxes mcp: %v\n", err)
		return ExitFailed
	}
	var (
		ctx    context.Context
		s      *mcp.Server
		stderr io.Writer = std.Stderr
		logf             = func(format string, args ...any) {
			fmt.Fprintf(std.Stderr, time.Now().Format("15:04:05.000 ")+strings.TrimSuffix(format, "\n")+"\n", args...)
		}
	)
	if c != nil {
		// Attached: the engine runs the code and holds what it flags; what
		// it answers, it has redacted.
		defer c.Close()
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		s, err = mcp.NewServer(ctx, &remoteBackend{c: c, file: path, army: a.Name}, mcp.Options{Agent: *agent, Army: a.Name, Attached: true})
		if err != nil {
			fmt.Fprintf(stderr, "littleboxes mcp: %v\n", err)
			if errors.Is(err, mcp.ErrAgent) {
				return ExitUsage
			}
			return ExitFailed
		}
		logf("attached to the engine on %s", c.Path())
	} else {
		se, code := startEngine(engineStart{cmd: "mcp", army: a, path: path, data: *data, std: std,
			stdoutIsProtocol: true, inProcess: *inProcess, timestamps: true})
		if code != ExitOK {
			return code
		}
		defer se.Close()
		ctx, stderr, logf = se.Ctx, se.Stderr, se.Logf
		if s, err = mcp.New(se.Engine, mcp.Options{Agent: *agent, Army: a.Name}); err != nil {
			fmt.Fprintf(stderr, "littleboxes mcp: %v\n", err)
			return ExitUsage
		}
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

// remoteBackend is the MCP server's backend over the engine of the data
// directory: the army file's engine there (its running one when it is the
// open army, else a passive one per call) runs the code and holds what it
// flags.
type remoteBackend struct {
	c    *daemon.Client
	file string // the army file, absolute
	army string // its name
}

func (r *remoteBackend) Agents(ctx context.Context) ([]string, error) {
	var agents []string
	err := r.c.Call(ctx, daemon.MethodMCPAgents, &agents, r.file)
	return agents, err
}

func (r *remoteBackend) Declaration(ctx context.Context, agent string) (string, error) {
	var decl string
	err := r.c.Call(ctx, daemon.MethodMCPDeclaration, &decl, r.file, agent)
	return decl, err
}

func (r *remoteBackend) Execute(ctx context.Context, agent, code string, input any) (*sandbox.Result, error) {
	in, err := json.Marshal(input)
	if err != nil {
		return nil, fmt.Errorf("the input: %w", err)
	}
	var ex daemon.Executed
	if err := r.c.Call(ctx, daemon.MethodMCPExecute, &ex, r.file, agent, code, string(in)); err != nil {
		return nil, err
	}
	res := &sandbox.Result{Console: ex.Console}
	if ex.Error != "" {
		return res, errors.New(ex.Error)
	}
	if len(ex.Value) > 0 {
		if err := json.Unmarshal(ex.Value, &res.Value); err != nil {
			return nil, fmt.Errorf("the engine's result: %w", err)
		}
	}
	return res, nil
}

func (r *remoteBackend) Pending(ctx context.Context, agent string) ([]string, error) {
	var efs []engine.Effect
	if err := r.c.Call(ctx, daemon.MethodArmyApprovals, &efs, r.army, false); err != nil {
		return nil, err
	}
	var ids []string
	for _, ef := range efs {
		if ef.Agent == agent && ef.Status == engine.StatusPending && !slices.Contains(ids, ef.ID) {
			ids = append(ids, ef.ID)
		}
	}
	return ids, nil
}
