// The contract between the page and the Go API (app.API in app/), taken
// from what Wails generates from the Go types: frontend/wailsjs/go/models.ts
// (the types) and frontend/wailsjs/go/app/API.d.ts / API.js (the methods).
// Nothing here is written by hand but what the generator cannot express:
//
//   - a Go pointer is generated as an optional field, but a nil one arrives
//     as null (AgentView.pos and CapabilityView.pos when the node was never
//     placed, AgentView.template for a plain agent);
//   - a json.RawMessage is generated as number[], but arrives as the JSON
//     value it holds (Effect.args and .result, RunRecord.result);
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
import type { app } from "../../wailsjs/go/models";

export type Pos = app.Pos;
export type Problem = app.Problem;
export type BindingView = app.BindingView;
export type InstanceView = app.InstanceView;
export type TemplateView = app.TemplateView;
export type ChannelView = app.ChannelView;
export type SinkView = app.SinkView;
export type PropField = app.PropField;
export type MethodInfo = app.MethodInfo;
export type KindInfo = app.KindInfo;
export type AgentSpec = app.AgentSpec;
export type CapabilitySpec = app.CapabilitySpec;
export type Diagnostic = app.Diagnostic;
export type ConsoleLine = app.ConsoleLine;

/** One agent or template; pos is null when the node was never placed. */
export type AgentView = Omit<app.AgentView, "pos" | "template"> & {
  pos?: Pos | null;
  template?: TemplateView | null;
};

/** One capability instance; pos is null when the node was never placed. */
export type CapabilityView = Omit<app.CapabilityView, "pos"> & { pos?: Pos | null };

/** The army open in the app, with its flow analysis. */
export type Workspace = Omit<app.Workspace, "agents" | "capabilities"> & {
  agents: AgentView[];
  capabilities: CapabilityView[];
};

/** One invocation of an agent; result is the JSON value the run returned. */
export type RunRecord = Omit<app.RunRecord, "result"> & { result?: unknown };

/** One held (or decided) sink call; args and result are JSON values. */
export type Effect = Omit<app.Effect, "args" | "result"> & { args: unknown; result?: unknown };

/** The name of the Wails event (and the SSE stream) carrying engine events. */
export const EVENT = "lb:event";

/** An engine event (app.Event). */
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

/** A generated type as it arrives on the wire (see the top of this file). */
type Wire<T> = T extends app.Workspace
  ? Workspace
  : T extends app.RunRecord
    ? RunRecord
    : T extends app.Effect
      ? Effect
      : T extends readonly (infer U)[]
        ? Wire<U>[]
        : T;

type Generated = typeof Bound;

/** Every method of app.API, as Wails generated it, with its results as they arrive. */
export type Api = {
  [K in keyof Generated]: (...args: Parameters<Generated[K]>) => Promise<Wire<Awaited<ReturnType<Generated[K]>>>>;
};

/** A method name of app.API. */
export type Method = keyof Api;
