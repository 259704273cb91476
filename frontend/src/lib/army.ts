// The army view: the read-only picture of an army the backend's Army()
// returns (app.ArmyView in app/armyview.go), and the grouping the screen
// shows — a template's instances ("triage[1a2b…]") stacked under it.

import * as API from "../../wailsjs/go/app/API";
import type { app } from "../../wailsjs/go/models";
import { NOT_CONNECTED, describeFailure } from "./backend";

export type ArmyAgent = app.ArmyAgent;
export type ArmySink = app.ArmySink;
export type ArmyChannel = app.ArmyChannel;
export type ArmyView = app.ArmyView;

/** One card of the agents column: a template with its instances, or one agent. */
export type AgentGroup =
  | { kind: "template"; name: string; instances: ArmyAgent[] }
  | { kind: "agent"; name: string; agent: ArmyAgent };

const INSTANCE = /^(.+)\[([^\]]+)\]$/;

/** Splits a node name "NAME[ITEM]" into its template and item; null for a plain agent. */
export function parseInstance(name: string): { template: string; item: string } | null {
  const m = INSTANCE.exec(name);
  return m ? { template: m[1], item: m[2] } : null;
}

/**
 * Groups agents for the agents column, in the order each group first
 * appears: the instances of a template (by its template field, else by the
 * "NAME[ITEM]" pattern of its name) under one template group.
 */
export function groupAgents(agents: readonly ArmyAgent[]): AgentGroup[] {
  const groups: AgentGroup[] = [];
  const templates = new Map<string, { kind: "template"; name: string; instances: ArmyAgent[] }>();
  for (const a of agents) {
    const parsed = parseInstance(a.name);
    const template = a.template || parsed?.template || "";
    if (!template) {
      groups.push({ kind: "agent", name: a.name, agent: a });
      continue;
    }
    const item = a.item || parsed?.item || "";
    let g = templates.get(template);
    if (!g) {
      g = { kind: "template", name: template, instances: [] };
      templates.set(template, g);
      groups.push(g);
    }
    g.instances.push({ ...a, template, item });
  }
  return groups;
}

/** Every principal in any of the agents' labels, once each, "owner" first. */
export function labelUnion(agents: readonly ArmyAgent[]): string[] {
  const seen = new Set<string>();
  for (const a of agents) for (const p of a.label) seen.add(p);
  return [...seen].sort((x, y) => (x === "owner" ? -1 : y === "owner" ? 1 : x.localeCompare(y)));
}

/** How many sinks are safe and how many need approval. */
export function verdictCounts(sinks: readonly ArmySink[]): { safe: number; approval: number } {
  let safe = 0;
  let approval = 0;
  for (const s of sinks) {
    if (s.verdict === "safe") safe++;
    else approval++; // anything but safe is held for approval
  }
  return { safe, approval };
}

/** Sinks needing approval first, then the rest, each in the given order. */
export function sortSinks(sinks: readonly ArmySink[]): ArmySink[] {
  return [...sinks.filter((s) => s.verdict !== "safe"), ...sinks.filter((s) => s.verdict === "safe")];
}

/**
 * Channels with a template's instances folded together:
 * "triage[…] → summarizer" twelve times becomes one entry with count 12.
 */
export function summarizeChannels(channels: readonly ArmyChannel[]): { from: string; to: string; count: number }[] {
  const out = new Map<string, { from: string; to: string; count: number }>();
  const fold = (n: string) => parseInstance(n)?.template ?? n;
  for (const c of channels) {
    const from = fold(c.from);
    const to = fold(c.to);
    const key = `${from}\u0000${to}`;
    const e = out.get(key);
    if (e) e.count++;
    else out.set(key, { from, to, count: 1 });
  }
  return [...out.values()];
}

/** Splits a principal "person:alice@example.com" into its kind and name. */
export function principal(p: string): { kind: string; name: string } {
  const i = p.indexOf(":");
  return i > 0 ? { kind: p.slice(0, i), name: p.slice(i + 1) } : { kind: p, name: "" };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
const list = <T>(v: unknown, f: (x: Record<string, unknown>) => T): T[] =>
  Array.isArray(v) ? v.filter(isObject).map(f) : [];

/** Turns whatever the bridge returned into a well-formed ArmyView. */
export function normalizeArmy(raw: unknown): ArmyView {
  if (!isObject(raw)) return emptyArmy("the backend returned no army");
  const v: ArmyView = {
    name: str(raw.name),
    doc: str(raw.doc),
    path: str(raw.path),
    agents: list(raw.agents, (a) => ({ name: str(a.name), template: str(a.template), item: str(a.item), label: strs(a.label) })),
    sinks: list(raw.sinks, (s) => ({
      agent: str(s.agent),
      binding: str(s.binding),
      audience: strs(s.audience),
      verdict: str(s.verdict),
      why: str(s.why),
    })),
    channels: list(raw.channels, (c) => ({ from: str(c.from), to: str(c.to) })),
  };
  if (str(raw.error)) v.error = str(raw.error);
  return v;
}

export function emptyArmy(error?: string): ArmyView {
  return { name: "", doc: "", path: "", agents: [], sinks: [], channels: [], ...(error ? { error } : {}) };
}

interface WailsWindow {
  go?: { app?: { API?: Record<string, unknown> } };
}

/** Whether the backend can show an army. */
export function hasArmy(w: unknown = globalThis): boolean {
  return typeof (w as WailsWindow | undefined)?.go?.app?.API?.Army === "function";
}

/** Loads the default army from the backend. It never throws. */
export async function fetchArmy(): Promise<ArmyView> {
  if (!hasArmy()) return emptyArmy(NOT_CONNECTED);
  try {
    return normalizeArmy(await API.Army());
  } catch (err) {
    return emptyArmy(`the call to the backend failed: ${describeFailure(err)}`);
  }
}
