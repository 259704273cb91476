// The automatic layout of the canvas: a pure function from the army's graph
// to positions, for the nodes that have no saved position.
//
// Layers, left to right: capabilities that only feed agents (sources, and
// the capability a template enumerates), then agents — each agent one layer
// right of the agents that send to it over channels (longest path, cycles
// cut) — then capabilities agents write to (sinks, exchanges, pure ones).
// Within a layer, nodes are ordered by the average row of their neighbours
// in the layer before (one barycentre pass), then by name, and the layer is
// centred vertically.

import type { Pos } from "../../lib/api";

export interface LayoutNode {
  id: string;
  kind: "agent" | "capability";
  /** The saved position, kept; null or absent when the node was never placed. */
  pos?: Pos | null;
  /** Node height hint for spacing (default ROW). */
  height?: number;
}

export interface LayoutEdge {
  /** Data flows from → to (a source capability → agent, agent → sink, agent → agent). */
  from: string;
  to: string;
}

export const COLUMN = 400;
export const ROW = 150;
export const ORIGIN: Pos = { x: 40, y: 40 };

/** Whether a node has a saved position: Go sends null for one never placed. */
export function hasPos(p: Pos | null | undefined): p is Pos {
  return p != null && Number.isFinite(p.x) && Number.isFinite(p.y);
}

/**
 * Positions for every node: the saved one when set, else a layered place.
 * Deterministic: the same graph gives the same positions.
 */
export function layout(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]): Record<string, Pos> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const ins = new Map<string, string[]>();
  const outs = new Map<string, string[]>();
  for (const n of nodes) {
    ins.set(n.id, []);
    outs.set(n.id, []);
  }
  for (const e of edges) {
    if (!byId.has(e.from) || !byId.has(e.to) || e.from === e.to) continue;
    outs.get(e.from)!.push(e.to);
    ins.get(e.to)!.push(e.from);
  }

  // Agents: longest path over agent → agent edges, by DFS with cycle cut.
  const agentDepth = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (id: string): number => {
    const known = agentDepth.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // a cycle: cut here
    visiting.add(id);
    let d = 0;
    for (const p of ins.get(id)!) if (byId.get(p)!.kind === "agent") d = Math.max(d, depth(p) + 1);
    visiting.delete(id);
    agentDepth.set(id, d);
    return d;
  };
  let maxAgent = 0;
  for (const n of nodes) if (n.kind === "agent") maxAgent = Math.max(maxAgent, depth(n.id));

  const layerOf = new Map<string, number>();
  for (const n of nodes) {
    if (n.kind === "agent") {
      layerOf.set(n.id, 1 + agentDepth.get(n.id)!);
      continue;
    }
    const feeds = outs.get(n.id)!.length > 0;
    const fed = ins.get(n.id)!.length > 0;
    if (feeds && !fed) {
      // A source sits just left of the first agent it feeds.
      let d = Infinity;
      for (const a of outs.get(n.id)!) d = Math.min(d, agentDepth.get(a) ?? 0);
      layerOf.set(n.id, d === Infinity ? 0 : d);
    } else if (fed) {
      // A sink sits right of the agents that write to it.
      let d = 0;
      for (const a of ins.get(n.id)!) d = Math.max(d, agentDepth.get(a) ?? 0);
      layerOf.set(n.id, d + 2);
    } else {
      layerOf.set(n.id, maxAgent + 2); // unbound: with the sinks
    }
  }

  const layers = new Map<number, LayoutNode[]>();
  for (const n of nodes) {
    const l = layerOf.get(n.id)!;
    if (!layers.has(l)) layers.set(l, []);
    layers.get(l)!.push(n);
  }
  const order = [...layers.keys()].sort((a, b) => a - b);
  const row = new Map<string, number>();
  const heights: number[] = [];
  for (const l of order) {
    const ns = layers.get(l)!;
    const bary = (n: LayoutNode) => {
      const nb = [...ins.get(n.id)!, ...outs.get(n.id)!].filter((x) => row.has(x));
      if (nb.length === 0) return Infinity;
      return nb.reduce((s, x) => s + row.get(x)!, 0) / nb.length;
    };
    const keyed = ns.map((n, i) => ({ n, b: bary(n), i }));
    keyed.sort((a, b) => (a.b === b.b ? a.n.id.localeCompare(b.n.id) : a.b - b.b));
    keyed.forEach((k, i) => row.set(k.n.id, i));
    layers.set(
      l,
      keyed.map((k) => k.n),
    );
    heights.push(keyed.reduce((s, k) => s + (k.n.height ?? ROW), 0));
  }
  const tallest = Math.max(0, ...heights);

  const out: Record<string, Pos> = {};
  order.forEach((l, li) => {
    const ns = layers.get(l)!;
    let y = ORIGIN.y + (tallest - heights[li]) / 2;
    const x = ORIGIN.x + li * COLUMN;
    for (const n of ns) {
      out[n.id] = hasPos(n.pos) ? { x: n.pos.x, y: n.pos.y } : { x, y: Math.round(y) };
      y += n.height ?? ROW;
    }
  });
  return out;
}
