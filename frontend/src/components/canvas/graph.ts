// From a Workspace to the canvas: nodes, edges and their colours, plus the
// small pure helpers the canvas needs (unique names, palette drops, live
// state from engine events). Nothing here decides a verdict, a label, a
// position or a name's validity: they are read from the Workspace the Go
// side computed, and a name Go refuses comes back as its error.

import type { AgentSpec, AgentView, CapabilitySpec, CapabilityView, Event, KindInfo, Pos, Workspace } from "../../lib/api";
import { type LayoutEdge, type LayoutNode, layout } from "./layout";

export const agentId = (name: string) => `agent:${name}`;
export const capId = (name: string) => `cap:${name}`;
export const bindingEdgeId = (agent: string, env: string) => `bind:${agent}:${env}`;
export const channelEdgeId = (from: string, env: string) => `chan:${from}:${env}`;

/** The node id's kind and name. */
export function parseNodeId(id: string): { kind: "agent" | "capability"; name: string } | null {
  if (id.startsWith("agent:")) return { kind: "agent", name: id.slice(6) };
  if (id.startsWith("cap:")) return { kind: "capability", name: id.slice(4) };
  return null;
}

/** "triage[t12]" → {template: "triage", item: "t12"}; null for a plain name. */
export function parseInstance(name: string): { template: string; item: string } | null {
  const m = /^(.+)\[([^\]]+)\]$/.exec(name);
  return m ? { template: m[1], item: m[2] } : null;
}

export type Verdict = "" | "safe" | "approval";

/** A verdict string from the Workspace as a Verdict ("" when it is neither). */
export function verdict(s: string | undefined): Verdict {
  return s === "safe" || s === "approval" ? s : "";
}

/** The colour of a verdict on the canvas (CSS variables of styles.css). */
export const VERDICT_COLOUR: Record<"safe" | "approval" | "source" | "none" | "channel", string> = {
  safe: "#34d399",
  approval: "#f5a524",
  source: "#2dd4bf",
  none: "#5b6679",
  channel: "#a78bfa",
};

/** An edge's colour: green safe, amber flagged, teal for reads, grey otherwise. */
export function edgeColour(e: { kind: "binding" | "channel"; verdict: Verdict; role?: string }): string {
  if (e.kind === "channel") return e.verdict === "approval" ? VERDICT_COLOUR.approval : VERDICT_COLOUR.channel;
  if (e.verdict === "approval") return VERDICT_COLOUR.approval;
  if (e.verdict === "safe") return VERDICT_COLOUR.safe;
  if (e.role === "source") return VERDICT_COLOUR.source;
  return VERDICT_COLOUR.none;
}

/** Colours and glyphs of capability kinds (unknown kinds get a neutral one). */
export const KIND_STYLE: Record<string, { colour: string }> = {
  http: { colour: "#60a5fa" },
  kv: { colour: "#fbbf24" },
  llm: { colour: "#c084fc" },
  mail: { colour: "#f472b6" },
  channel: { colour: "#a78bfa" },
  report: { colour: "#34d399" },
};
export function kindStyle(kind: string): { colour: string } {
  return KIND_STYLE[kind] ?? { colour: "#94a3b8" };
}

/** What a run of an agent (or a template's instance) is doing now. */
export type RunState = "idle" | "running" | "failed" | "ok";

/** A state string from the Workspace as a RunState ("idle" when unknown). */
export function runState(s: string | undefined): RunState {
  return s === "running" || s === "failed" || s === "ok" ? s : "idle";
}

/** Live state kept from engine events. */
export interface Live {
  /** Agent (or instance) name → its state. */
  runs: Record<string, RunState>;
  /** Channel edge id → time (ms) of the last message along it. */
  pulses: Record<string, number>;
}

export const emptyLive = (): Live => ({ runs: {}, pulses: {} });

/** How long a channel shows its pulse after a message. */
export const PULSE_MS = 2000;

/**
 * The live state after an event: run.start/run.end set a node's state (the
 * instance's own name, and its template's while any instance runs), message
 * pulses every channel from the sender (or its template) to the receiver.
 */
export function applyEvent(live: Live, ev: Event, ws: Workspace | null, now: number): Live {
  const base = (n: string) => parseInstance(n)?.template ?? n;
  switch (ev.type) {
    case "run.start":
    case "run.end": {
      if (!ev.agent) return live;
      const failed = !!ev.error || (!!ev.detail && ev.detail !== "ok");
      const state: RunState = ev.type === "run.start" ? "running" : failed ? "failed" : "ok";
      const runs = { ...live.runs, [ev.agent]: state };
      const t = base(ev.agent);
      if (t !== ev.agent) runs[t] = state;
      return { ...live, runs };
    }
    case "message": {
      if (!ev.agent || !ws) return live;
      const from = base(ev.agent);
      const to = ev.to ? base(ev.to) : "";
      const pulses = { ...live.pulses };
      let hit = false;
      for (const c of ws.channels) {
        if (c.from === from && (!to || c.to === to)) {
          pulses[channelEdgeId(c.from, c.env)] = now;
          hit = true;
        }
      }
      return hit ? { ...live, pulses } : live;
    }
    default:
      return live;
  }
}

/**
 * A name not in taken: base, else base2, base3, … Whether it is a valid
 * name is Go's to say: AddAgent or AddCapability refuses it with why.
 */
export function uniqueName(base: string, taken: Iterable<string>): string {
  const set = new Set(taken);
  if (!set.has(base)) return base;
  for (let i = 2; ; i++) if (!set.has(`${base}${i}`)) return `${base}${i}`;
}

/** Every agent and capability name of the workspace. */
export function takenNames(ws: Workspace | null): string[] {
  if (!ws) return [];
  return [...ws.agents.map((a) => a.name), ...ws.capabilities.map((c) => c.name)];
}

/**
 * The env name the prompt suggests for a node: its name in camelCase
 * ("owner-report" → "ownerReport"). Only a suggestion: the owner may type
 * another, and Bind or Connect refuses one that is not an env name.
 */
export function envName(from: string): string {
  return from.replace(/-+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ""));
}

/** What the palette hands to the canvas when dropped. */
export type PaletteItem = { type: "agent" } | { type: "capability"; kind: string };

export const PALETTE_MIME = "application/x-littleboxes-palette";

export function encodePaletteItem(item: PaletteItem): string {
  return JSON.stringify(item);
}

export function decodePaletteItem(text: string | null | undefined): PaletteItem | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as { type?: unknown; kind?: unknown };
    if (v.type === "agent") return { type: "agent" };
    if (v.type === "capability" && typeof v.kind === "string" && v.kind !== "") return { type: "capability", kind: v.kind };
  } catch {
    // not ours
  }
  return null;
}

/** The module a new agent starts with. */
export const NEW_AGENT_CODE = `export default {
  async run(input, env, ctx) {
    console.log("hello from", ctx?.agent ?? "an agent");
    return input;
  },
};
`;

/** The API call a palette drop makes: a new agent or capability, uniquely named, at pos. */
export function dropRequest(
  item: PaletteItem,
  pos: Pos,
  ws: Workspace | null,
): { method: "AddAgent"; spec: AgentSpec } | { method: "AddCapability"; spec: CapabilitySpec } {
  const p = { x: Math.round(pos.x), y: Math.round(pos.y) };
  const taken = takenNames(ws);
  if (item.type === "agent") {
    return {
      method: "AddAgent",
      spec: { name: uniqueName("agent", taken), code: NEW_AGENT_CODE, triggers: ["manual"], pos: p },
    };
  }
  return { method: "AddCapability", spec: { name: uniqueName(item.kind, taken), kind: item.kind, props: {}, pos: p } };
}

/** What connecting two nodes means: a binding (asks for env) or a channel. */
export type ConnectIntent =
  | { kind: "bind"; agent: string; capability: string; env: string }
  | { kind: "channel"; from: string; to: string; env: string }
  | { kind: "invalid"; reason: string };

/** Reads a drag from one handle to another as a binding or a channel. */
export function connectIntent(source: string, target: string, ws: Workspace | null): ConnectIntent {
  const s = parseNodeId(source);
  const t = parseNodeId(target);
  if (!s || !t) return { kind: "invalid", reason: "connect an agent to a capability or to another agent" };
  if (s.kind === "capability" && t.kind === "capability") return { kind: "invalid", reason: "two capabilities cannot be connected: bind each to an agent" };
  if (s.kind === "agent" && t.kind === "agent") {
    if (s.name === t.name) return { kind: "invalid", reason: "an agent cannot send to itself" };
    const used = new Set(ws?.agents.find((a) => a.name === s.name)?.bindings.map((b) => b.env) ?? []);
    for (const c of ws?.channels ?? []) if (c.from === s.name) used.add(c.env);
    return { kind: "channel", from: s.name, to: t.name, env: uniqueEnv(envName(t.name), used) };
  }
  const agent = s.kind === "agent" ? s.name : t.name;
  const capability = s.kind === "capability" ? s.name : t.name;
  const used = new Set(ws?.agents.find((a) => a.name === agent)?.bindings.map((b) => b.env) ?? []);
  for (const c of ws?.channels ?? []) if (c.from === agent) used.add(c.env);
  return { kind: "bind", agent, capability, env: uniqueEnv(envName(capability), used) };
}

function uniqueEnv(base: string, used: Set<string>): string {
  if (!used.has(base)) return base;
  for (let i = 2; ; i++) if (!used.has(`${base}${i}`)) return `${base}${i}`;
}

export interface AgentNodeData extends Record<string, unknown> {
  agent: AgentView;
  state: RunState;
  /** Worst verdict of its sinks (for the node's badge). */
  verdict: Verdict;
  /** Instance name → state (templates). */
  instanceStates: Record<string, RunState>;
}

export interface CapabilityNodeData extends Record<string, unknown> {
  capability: CapabilityView;
  kind: KindInfo | null;
  /** Whether an agent writes to it, reads from it. */
  writes: boolean;
  reads: boolean;
  verdict: Verdict;
}

export interface BindingEdgeData extends Record<string, unknown> {
  kind: "binding";
  /** Which way data flows along the edge as drawn. */
  direction: "read" | "write";
  agent: string;
  env: string;
  capability: string;
  role: string;
  verdict: Verdict;
  /** Which rule holds an approval: confidentiality, integrity or both ("" when safe). */
  rule: string;
  why: string;
  audience: string[];
  colour: string;
}

export interface ChannelEdgeData extends Record<string, unknown> {
  kind: "channel";
  from: string;
  to: string;
  env: string;
  label: string[];
  verdict: Verdict;
  why: string;
  colour: string;
  pulse: number;
}

export interface GraphNode {
  id: string;
  type: "agent" | "capability";
  position: Pos;
  data: AgentNodeData | CapabilityNodeData;
}

export interface GraphEdge {
  id: string;
  type: "binding" | "channel";
  source: string;
  target: string;
  data: BindingEdgeData | ChannelEdgeData;
}

/** Which way a binding's data flows: reads (cap → agent) or writes (agent → cap). */
export function bindingDirection(role: string): "read" | "write" {
  return role === "source" ? "read" : "write";
}

function worst(a: Verdict, b: Verdict): Verdict {
  if (a === "approval" || b === "approval") return "approval";
  if (a === "safe" || b === "safe") return "safe";
  return "";
}

/** The canvas graph of a workspace: nodes (laid out) and edges, coloured by verdict. */
export function deriveGraph(ws: Workspace, kinds: readonly KindInfo[], live: Live = emptyLive()): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const kindById = new Map(kinds.map((k) => [k.id, k]));
  const capNames = new Set(ws.capabilities.map((c) => c.name));
  const agentNames = new Set(ws.agents.map((a) => a.name));
  const edges: GraphEdge[] = [];
  const layoutEdges: LayoutEdge[] = [];
  const agentVerdict = new Map<string, Verdict>();
  const capInfo = new Map<string, { reads: boolean; writes: boolean; verdict: Verdict }>();
  for (const c of ws.capabilities) capInfo.set(c.name, { reads: false, writes: false, verdict: "" });

  for (const a of ws.agents) {
    let av: Verdict = "";
    for (const b of a.bindings) {
      if (!capNames.has(b.capability)) continue;
      // Go's verdict, already summed up over a template's instances.
      const v = verdict(b.verdict);
      av = worst(av, v);
      // A template's item arrives through its `as` binding: drawn as a read.
      const dir = a.template && b.env === a.template.as ? "read" : bindingDirection(b.role);
      const info = capInfo.get(b.capability)!;
      if (dir === "read") info.reads = true;
      else info.writes = true;
      info.verdict = worst(info.verdict, v);
      const [source, target] = dir === "read" ? [capId(b.capability), agentId(a.name)] : [agentId(a.name), capId(b.capability)];
      edges.push({
        id: bindingEdgeId(a.name, b.env),
        type: "binding",
        source,
        target,
        data: {
          kind: "binding",
          direction: dir,
          agent: a.name,
          env: b.env,
          capability: b.capability,
          role: b.role,
          verdict: v,
          rule: b.rule ?? "",
          why: b.why,
          audience: b.audience ?? [],
          colour: edgeColour({ kind: "binding", verdict: v, role: b.role }),
        },
      });
      layoutEdges.push({ from: source, to: target });
    }
    agentVerdict.set(a.name, av);
  }

  for (const c of ws.channels) {
    if (!agentNames.has(c.from) || !agentNames.has(c.to)) continue;
    const id = channelEdgeId(c.from, c.env);
    edges.push({
      id,
      type: "channel",
      source: agentId(c.from),
      target: agentId(c.to),
      data: {
        kind: "channel",
        from: c.from,
        to: c.to,
        env: c.env,
        label: c.label ?? [],
        verdict: "",
        why: "",
        colour: VERDICT_COLOUR.channel,
        pulse: live.pulses[id] ?? 0,
      },
    });
    layoutEdges.push({ from: agentId(c.from), to: agentId(c.to) });
  }

  // A node Go has no position for (pos null: never placed) is laid out here.
  const layoutNodes: LayoutNode[] = [
    ...ws.agents.map((a) => ({ id: agentId(a.name), kind: "agent" as const, pos: a.pos, height: a.template ? 200 : 170 })),
    ...ws.capabilities.map((c) => ({ id: capId(c.name), kind: "capability" as const, pos: c.pos, height: 120 })),
  ];
  const at = layout(layoutNodes, layoutEdges);

  const nodes: GraphNode[] = [];
  for (const a of ws.agents) {
    const instanceStates: Record<string, RunState> = {};
    for (const i of a.instances ?? []) {
      instanceStates[i.name] = live.runs[i.name] ?? runState(i.state);
    }
    nodes.push({
      id: agentId(a.name),
      type: "agent",
      position: at[agentId(a.name)],
      data: { agent: a, state: live.runs[a.name] ?? runState(a.state), verdict: agentVerdict.get(a.name) ?? "", instanceStates },
    });
  }
  for (const c of ws.capabilities) {
    const info = capInfo.get(c.name)!;
    nodes.push({
      id: capId(c.name),
      type: "capability",
      position: at[capId(c.name)],
      data: { capability: c, kind: kindById.get(c.kind) ?? null, ...info },
    });
  }
  return { nodes, edges };
}

/**
 * Positions to save after a move, for MoveNodes: keyed "agent:NAME" or
 * "capability:NAME", so an agent and a capability of the same name differ.
 */
export function movedPositions(moves: Record<string, Pos>): Record<string, Pos> {
  const out: Record<string, Pos> = {};
  for (const [id, p] of Object.entries(moves)) {
    const n = parseNodeId(id);
    if (!n) continue;
    out[`${n.kind}:${n.name}`] = { x: Math.round(p.x), y: Math.round(p.y) };
  }
  return out;
}
