package daemon

import (
	"context"
	"encoding/json"

	"littleboxes/sandbox"
)

// The engine serves its clients the window's API (package app's API, by
// the same method names) and, on the socket only, the methods below, for
// the CLI. Their implementation is package app's Engine.
const (
	MethodPid           = "Pid"           // () int: the engine's process id
	MethodArmyNames     = "ArmyNames"     // () []string: the armies with data in the store
	MethodArmyApprovals = "ArmyApprovals" // (army string, all bool) []engine.Effect, redacted
	MethodDecide        = "Decide"        // (army, file, id string, approve bool) engine.Effect, redacted
	MethodOpenArmy      = "OpenArmy"      // (file string) Opened: open (and run) that army file
	MethodRunOnce       = "RunOnce"       // (file, agent, inputJSON string) OnceResult
	// The MCP server's (littleboxes mcp attached to the engine), on the
	// army file given (the open army's running engine, or a passive one).
	MethodMCPAgents      = "MCPAgents"      // (file string) []string: the army's agents
	MethodMCPDeclaration = "MCPDeclaration" // (file, agent string) string: the agent's env declaration
	MethodMCPExecute     = "MCPExecute"     // (file, agent, code, inputJSON string) Executed
	// The armies the engine runs side by side.
	MethodListRunning = "ListRunning" // () []Running: the running armies, by name
	MethodStart       = "Start"       // (file string) Started: run that army file besides the others
	MethodStop        = "Stop"        // (army string): stop it; it stays stopped until started
	// (): the name the open army's events carry ("" when it does not run)
	MethodOpenArmyName = "OpenArmyName"
	// The commands that read or change the store (kv, runs, write).
	MethodKVNamespaces = "KVNamespaces" // () []capstore.Namespace
	MethodKVClear      = "KVClear"      // (namespace string) int: the keys deleted
	MethodRuns         = "ArmyRuns"     // (army, agent string, limit int) []engine.RunRecord, redacted
	MethodWrite        = "WriteAgent"   // (file, agent, description, model, inputJSON string, attempts int) Written
)

// Running is one army the engine runs (MethodListRunning).
type Running struct {
	Name string `json:"name"`
	Path string `json:"path"`
	// Open is whether it is the army the window and serve show.
	Open bool `json:"open,omitempty"`
	// Agents is how many agents it runs (a template's instances each).
	Agents int `json:"agents"`
	// NotRunning says why it does not run ("" when it runs).
	NotRunning string `json:"notRunning,omitempty"`
}

// Started is what MethodStart answers.
type Started struct {
	Running
	// Started is false when the army ran already: the caller did not
	// start it (and Ctrl-C on `run` leaves it running).
	Started bool `json:"started"`
}

// Written is what MethodWrite answers: a model's code for an agent
// (engine.Authored as JSON, redacted), or why there is none.
type Written struct {
	Authored json.RawMessage `json:"authored,omitempty"`
	Error    string          `json:"error,omitempty"`
	// NoModel is whether Error is that the agent has no model to write
	// with (a usage error).
	NoModel bool `json:"noModel,omitempty"`
}

// Opened is what MethodOpenArmy answers: the army now open in the engine.
type Opened struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Agents int    `json:"agents"` // the agents the engine runs (a template's instances each)
	// NotRunning says why the army does not run ("" when it runs).
	NotRunning string `json:"notRunning,omitempty"`
}

// OnceResult is what MethodRunOnce answers: one agent's run(input), as
// `run --once` prints it. Everything in it is redacted.
type OnceResult struct {
	Value   json.RawMessage       `json:"value,omitempty"` // the result as JSON (Code 0)
	Console []sandbox.ConsoleLine `json:"console,omitempty"`
	// Report is the error as `run --once` prints it ("limit exceeded: …",
	// "error: …" and a stack), "" when it succeeded.
	Report string `json:"report,omitempty"`
	// Code is the exit code: 0 ok, 1 the agent threw, 2 no such agent or
	// entry, 3 a limit.
	Code int `json:"code"`
}

// Executed is what MethodMCPExecute answers: code run once as an agent
// (recorded under the trigger "mcp"). Everything in it is redacted.
type Executed struct {
	Value   json.RawMessage       `json:"value,omitempty"` // the result as JSON (no Error)
	Console []sandbox.ConsoleLine `json:"console,omitempty"`
	Error   string                `json:"error,omitempty"` // why the code failed, "" when it did not
}

// HostOptions are what a long-lived `run ARMY` hands a Host.
type HostOptions struct {
	DataDir   string // the data directory, resolved
	ArmyPath  string // the army file, absolute
	InProcess bool   // run agents in this process, not cells
	// Logf logs the engine's messages, redacted.
	Logf func(format string, args ...any)
	// Ready is called once the army runs, with its agents' count, before
	// Host blocks.
	Ready func(agents int)
	// Owns says the caller started the army before (another engine ran it
	// for this `run`): it is stopped when ctx ends, as one the host starts
	// is. An army that ran already, another's, is left in the running set.
	Owns bool
}

// A Host runs the army o.ArmyPath (besides those the engine ran before)
// and serves the local API for o.DataDir until ctx is done, then stops
// o.ArmyPath's army when it started it (or o.Owns): `run ARMY` when no engine runs, so that other
// processes reach the army through the socket. It returns ErrRunning when
// another engine serves the directory. Package app implements it (main
// hands it to package cli).
type Host func(ctx context.Context, o HostOptions) error
