// The contract between the page and the Go API (app.API in app/), taken
// from what Wails generates from the Go code: frontend/wailsjs/go/app/API.d.ts
// / API.js (the methods) and the types their signatures name (in
// frontend/wailsjs/go/models.ts).
// Nothing here is written by hand but what the generator cannot express:
//
//   - a Go pointer is generated as an optional field, but a nil one arrives
//     as null (AgentView.pos and CapabilityView.pos when the node was never
//     placed, AgentView.template for a plain agent);
//   - a json.RawMessage is generated as number[], but arrives as the JSON
//     value it holds (Effect.args and .result, RunRecord.result);
//   - CapabilityView.methods is optional: an older engine sends none;
//   - engine events are sent, not returned, so no method names their type:
//     Event below follows app.Event (app/events.go).
//
// lib/transport.ts reaches these methods inside the desktop window (the
// Wails binding) or in a browser opened by `littleboxes serve` (its HTTP
// API). Nothing in the page re-implements a rule: validation, flow verdicts,
// labels, positions, env declarations and compile errors all come from Go.
// Every mutation returns the whole new Workspace, so the page redraws from
// one source of truth; an invalid edit is refused with an error and changes
// nothing.

import type * as Bound from "../../wailsjs/go/app/API";

// Every type is read off the generated method signatures (the bindings of
// app.API), not off models.ts' namespaces, so it stays right whichever Go
// package a view type lives in.
type Generated = typeof Bound;
type Result<K extends keyof Generated> = Awaited<ReturnType<Generated[K]>>;
type Arg<K extends keyof Generated, I extends number> = Parameters<Generated[K]>[I];
type Item<T> = T extends readonly (infer U)[] ? U : never;

type GWorkspace = Result<"Workspace">;
type GAgentView = Item<GWorkspace["agents"]>;
type GCapabilityView = Item<GWorkspace["capabilities"]>;
type GRunRecord = Result<"RunAgent">;
type GEffect = Result<"Approve">;
type GKindInfo = Item<Result<"Kinds">>;

export type Problem = Item<GWorkspace["problems"]>;
export type BindingView = Item<GAgentView["bindings"]>;
export type InstanceView = Item<GAgentView["instances"]>;
export type TemplateView = NonNullable<GAgentView["template"]>;
export type ChannelView = Item<GWorkspace["channels"]>;
export type SinkView = Item<GWorkspace["sinks"]>;
export type KindInfo = GKindInfo;
export type PropField = Item<GKindInfo["props"]>;
export type MethodInfo = Item<GKindInfo["methods"]>;
export type AgentSpec = Arg<"AddAgent", 0>;
export type CapabilitySpec = Arg<"AddCapability", 0>;
export type Pos = Arg<"MoveNodes", 0>[string];
export type Diagnostic = Item<Result<"CheckCode">>;
export type ExecResult = Result<"Exec">;
export type ExecError = NonNullable<ExecResult["error"]>;
export type ConsoleLine = Item<ExecResult["console"]>;
export type Authored = Result<"Describe">;
/** One try of a model at an agent's code (in an Authored or a RunRecord). */
export type Attempt = Item<Authored["attempts"]>;
/** A writing call a Describe dry run simulated instead of performing. */
export type SimulatedCall = Item<Authored["calls"]>;
/** The model's token usage of one attempt. */
export type Usage = NonNullable<Attempt["usage"]>;

/** One agent or template; pos is null when the node was never placed. */
export type AgentView = Omit<GAgentView, "pos" | "template"> & {
  pos?: Pos | null;
  template?: TemplateView | null;
};

/** One method of a dynamic kind's instance, with its role in the flow analysis. */
export type MethodView = Item<GCapabilityView["methods"]>;

/**
 * One capability instance; pos is null when the node was never placed.
 * methods (a dynamic kind's, with their roles) may be absent: an engine of
 * an older build, attached through its socket, sends none.
 */
export type CapabilityView = Omit<GCapabilityView, "pos" | "methods"> & { pos?: Pos | null; methods?: MethodView[] };

/** The army open in the app, with its flow analysis. */
export type Workspace = Omit<GWorkspace, "agents" | "capabilities"> & {
  agents: AgentView[];
  capabilities: CapabilityView[];
};

/** One invocation of an agent; result is the JSON value the run returned. */
export type RunRecord = Omit<GRunRecord, "result"> & { result?: unknown };

/** One held (or decided) sink call; args and result are JSON values. */
export type Effect = Omit<GEffect, "args" | "result"> & { args: unknown; result?: unknown };

/** The name of the Wails event (and the SSE stream) carrying engine events. */
export const EVENT = "lb:event";

/**
 * Whether the engine the app is attached to answers (app.EventEngine's
 * details): "reconnecting" after it stopped, "attached" when it is back.
 */
export type EngineState = "attached" | "reconnecting";

/**
 * The Wails event the page emits once it listens to EVENT (app.ReadyEvent):
 * a window started on an approval (a click on a notification) then sends
 * OPEN_APPROVAL.
 */
export const READY = "lb:ready";

/**
 * The event asking the page to show an approval, its id in `id`
 * (app.EventOpenApproval): the person clicked the notification about it.
 */
export const OPEN_APPROVAL = "window.approval";

/** One army the engine runs (app.RunningArmy); shown marks the one the page shows. */
export type RunningArmy = Item<Result<"Running">>;

/** The person's settings (app.Settings). */
export type Settings = Result<"Settings">;

/** Which desktop notifications are muted (notify.Mutes). */
export type Mutes = Settings["mute"];

/** An engine event (app.Event); "engine" events carry an EngineState in detail. */
export interface Event {
  type:
    | "run.start"
    | "run.end"
    | "message"
    | "message.dead"
    | "approval.new"
    | "approval.decided"
    | "agent.cordoned"
    | "report"
    | "workspace"
    | "engine"
    | "army.started"
    | "army.stopped"
    | typeof OPEN_APPROVAL;
  time: string;
  /** The army whose engine sent it; the army started or stopped (army.started, army.stopped). */
  army?: string;
  agent?: string;
  to?: string;
  id?: string;
  detail?: string;
  error?: string;
  data?: unknown;
}

/** A generated type as it arrives on the wire (see the top of this file). */
type Wire<T> = T extends GWorkspace
  ? Workspace
  : T extends GRunRecord
    ? RunRecord
    : T extends GEffect
      ? Effect
      : T extends readonly (infer U)[]
        ? Wire<U>[]
        : T;

/** Every method of app.API, as Wails generated it, with its results as they arrive. */
export type Api = {
  [K in keyof Generated]: (...args: Parameters<Generated[K]>) => Promise<Wire<Awaited<ReturnType<Generated[K]>>>>;
};

/** A method name of app.API. */
export type Method = keyof Api;
