// The contract between the page and the Go API (app.API in app/).
//
// Every method here is one exported method of app.API with the same name and
// the same argument order. The page reaches it by one of two transports,
// chosen at run time:
//
//   - inside the desktop window, Wails binds app.API as window.go.app.API.*;
//     a Go method returning (T, error) resolves with T or rejects with the
//     error's text; events arrive through window.runtime.EventsOn(EVENT, cb).
//   - in a browser opened by `littleboxes serve`, POST /api/call/METHOD with
//     the JSON array of arguments as the body; 200 with the JSON result, or a
//     4xx/5xx with {"error": "..."}; events arrive as server-sent events on
//     GET /api/events (each `data:` line is one Event as JSON), read with
//     fetch. Every API request carries the token printed by `serve` in the
//     header X-Littleboxes-Token: the page finds it in its URL's fragment
//     (#token=…), keeps it in sessionStorage and clears it from the address
//     bar. Never a cookie, never a query.
//
// Nothing in the page re-implements a rule: validation, flow verdicts,
// labels, env declarations and compile errors all come from the Go side.
// Every mutation returns the whole new Workspace, so the page redraws from
// one source of truth; an invalid edit is refused with an error and changes
// nothing.

/** The name of the Wails event (and the SSE stream) carrying engine events. */
export const EVENT = "lb:event";

/** A position on the canvas, in flow coordinates. */
export interface Pos {
  x: number;
  y: number;
}

/** A problem with the army: where it is and what is wrong. */
export interface Problem {
  line: number; // 1-based, 0 when unknown
  column: number;
  path: string; // the field path, e.g. "agents.triage.bindings.mail"
  message: string;
}

/** One binding of an agent: env.NAME → a capability. */
export interface BindingView {
  env: string;
  capability: string;
  /** The capability's kind. */
  kind: string;
  /** "pure" | "source" | "sink" | "exchange": what the binding's methods do, summed up. */
  role: string;
  /** For a binding that writes: its verdict and why; "" otherwise. */
  verdict: "" | "safe" | "approval";
  why: string;
  audience: string[];
}

/** One item of a template: one agent instance, e.g. "triage[t12]". */
export interface InstanceView {
  name: string;
  item: string;
  label: string[];
  /** "idle" | "running" | "failed" | "ok": its last run's outcome. */
  state: string;
}

export interface AgentView {
  name: string;
  doc: string;
  /** The module's source text (read from its file when the army names one). */
  code: string;
  /** The file the code lives in, relative to the army file; "" when inline. */
  codePath: string;
  /** Triggers as written in army files: "manual", "message", "item", "every 1h". */
  triggers: string[];
  /** Set for a template: one instance per item of capability `each`, bound as env `as`. */
  template: { each: string; as: string } | null;
  /** A template's instances (empty for a plain agent). */
  instances: InstanceView[];
  /** Who may know what the agent may have read (for a template: the union over instances' shapes, e.g. ["owner","thread participants"]). */
  label: string[];
  bindings: BindingView[];
  pos: Pos;
  /** "idle" | "running" | "failed" | "ok": its last run's outcome (a template: "idle"). */
  state?: string;
}

export interface CapabilityView {
  name: string;
  kind: string;
  props: Record<string, unknown>;
  /** Secret slot → secret name in the keyring. Never a value. */
  secrets: Record<string, string>;
  pos: Pos;
}

/** A one-way channel: agent `from` gets a send-only env.`env`; `to` receives. */
export interface ChannelView {
  from: string;
  env: string;
  to: string;
  /** The label that flows along the edge (the sender's label). */
  label: string[];
}

/** A sink binding's verdict, per agent node (a template's items as "T[item]"). */
export interface SinkView {
  agent: string;
  binding: string;
  audience: string[];
  verdict: "safe" | "approval";
  why: string;
}

/** The army open in the app, with its flow analysis. */
export interface Workspace {
  name: string;
  doc: string;
  /** The army file on disk. */
  path: string;
  agents: AgentView[];
  capabilities: CapabilityView[];
  channels: ChannelView[];
  sinks: SinkView[];
  /** Problems that stop the army from running (empty when it is valid). */
  problems: Problem[];
  /** Whether the engine is running this army. */
  running: boolean;
}

/** A props field of a capability kind. */
export interface PropField {
  name: string;
  type: string; // string, number, integer, boolean, array, object
  doc: string;
  required?: boolean;
  items?: string;
}

export interface MethodInfo {
  name: string;
  role: "pure" | "source" | "sink" | "exchange";
}

/** A capability kind, for the palette and the capability editor. */
export interface KindInfo {
  id: string;
  doc: string;
  props: PropField[];
  /** Secret slot names (e.g. "api_key"). */
  secrets: string[];
  methods: MethodInfo[];
  /** The TypeScript declaration of what an agent sees. */
  declaration: string;
  /** Whether one instance enumerates items (can back a template). */
  enumerates: boolean;
}

/** What the page sends to create or replace an agent. */
export interface AgentSpec {
  name: string;
  doc?: string;
  code?: string;
  triggers?: string[];
  template?: { each: string; as: string } | null;
  pos?: Pos;
}

/** What the page sends to create or replace a capability. */
export interface CapabilitySpec {
  name: string;
  kind: string;
  props?: Record<string, unknown>;
  secrets?: Record<string, string>;
  pos?: Pos;
}

/** A compile error or warning at a place in the agent's source. */
export interface Diagnostic {
  line: number; // 1-based
  column: number; // 1-based
  text: string;
}

export interface ConsoleLine {
  level: string;
  text: string;
}

/** One invocation of an agent. */
export interface RunRecord {
  id: string;
  agent: string;
  trigger: string; // manual, message, every, item, approval
  entry: string;
  start: number; // Unix ms
  end: number;
  status: "ok" | "error" | "limit";
  result?: unknown;
  error?: string;
  console?: ConsoleLine[];
}

/** One held (or decided) sink call. */
export interface Effect {
  id: string;
  agent: string;
  env: string;
  capability: string;
  method: string;
  args: unknown;
  why?: string;
  created: number;
  status: "pending" | "approving" | "approved" | "denied" | "failed" | "interrupted";
  decided?: number;
  result?: unknown;
  error?: string;
  /** Who will see it: the sink's audience. */
  audience?: string[];
}

/** An engine event. */
export interface Event {
  type: "run.start" | "run.end" | "message" | "message.dead" | "approval.new" | "approval.decided" | "report" | "workspace";
  time: string;
  agent?: string;
  to?: string;
  id?: string;
  detail?: string;
  error?: string;
  data?: unknown;
}

/** The methods of app.API the page uses, by name. */
export interface Api {
  Version(): Promise<string>;

  // The army.
  Workspace(): Promise<Workspace>;
  Examples(): Promise<string[]>;
  OpenExample(name: string): Promise<Workspace>;
  ImportYAML(text: string): Promise<Workspace>;
  ExportYAML(): Promise<string>;

  AddAgent(spec: AgentSpec): Promise<Workspace>;
  UpdateAgent(name: string, spec: AgentSpec): Promise<Workspace>; // may rename
  DeleteAgent(name: string): Promise<Workspace>;
  SetAgentCode(name: string, code: string): Promise<Workspace>;
  AddCapability(spec: CapabilitySpec): Promise<Workspace>;
  UpdateCapability(name: string, spec: CapabilitySpec): Promise<Workspace>;
  DeleteCapability(name: string): Promise<Workspace>;
  Bind(agent: string, env: string, capability: string): Promise<Workspace>;
  Unbind(agent: string, env: string): Promise<Workspace>;
  Connect(from: string, env: string, to: string): Promise<Workspace>;
  Disconnect(from: string, env: string): Promise<Workspace>;
  /** Saves node positions (agents and capabilities by name); does not re-analyse. */
  MoveNodes(positions: Record<string, Pos>): Promise<void>;

  // Kinds and the agent editor.
  Kinds(): Promise<KindInfo[]>;
  /** The TypeScript declaration of the agent's env, for the editor beside the code. */
  AgentEnv(name: string): Promise<string>;
  /** Compiles code as an agent module; [] when it compiles. */
  CheckCode(code: string): Promise<Diagnostic[]>;

  // Running.
  RunAgent(name: string, inputJSON: string): Promise<RunRecord>;
  Runs(agent: string, limit: number): Promise<RunRecord[]>;

  // Approvals.
  Approvals(all: boolean): Promise<Effect[]>;
  Approve(id: string): Promise<Effect>;
  Deny(id: string): Promise<Effect>;

  // Secrets: names only; there is no method that returns a value.
  Secrets(): Promise<string[]>;
  SetSecret(name: string, value: string): Promise<void>;
  DeleteSecret(name: string): Promise<void>;
}

/** The method names of Api, for transports and tests. */
export const METHODS: (keyof Api)[] = [
  "Version",
  "Workspace",
  "Examples",
  "OpenExample",
  "ImportYAML",
  "ExportYAML",
  "AddAgent",
  "UpdateAgent",
  "DeleteAgent",
  "SetAgentCode",
  "AddCapability",
  "UpdateCapability",
  "DeleteCapability",
  "Bind",
  "Unbind",
  "Connect",
  "Disconnect",
  "MoveNodes",
  "Kinds",
  "AgentEnv",
  "CheckCode",
  "RunAgent",
  "Runs",
  "Approvals",
  "Approve",
  "Deny",
  "Secrets",
  "SetSecret",
  "DeleteSecret",
];
