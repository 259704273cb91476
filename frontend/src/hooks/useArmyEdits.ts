// useArmyEdits: the edits the canvas makes to the army, each one API call
// whose returned Workspace replaces the page's. Go decides whether an edit
// is valid (names, env names, what may connect to what, the message trigger
// a channel's receiver needs) and says why when it is not.

import { useCallback } from "react";
import { type BindingEdgeData, type ChannelEdgeData, type GraphEdge, type PaletteItem, dropRequest, parseNodeId } from "../components/canvas/graph";
import type { Api, Pos, Workspace } from "../lib/api";
import { errorText } from "../lib/transport";

/** What an edit made of the army: the new Workspace, or Go's refusal. */
export type EditResult = { ok: true; ws: Workspace } | { ok: false; error: string };

export interface ArmyEdits {
  /** Adds a new agent or capability from the palette at pos; the new node's id, or null. */
  add(item: PaletteItem, pos: Pos): Promise<string | null>;
  /** Binds capability to agent as env. A refusal is returned, not shown. */
  bind(agent: string, env: string, capability: string): Promise<EditResult>;
  /** Connects agent from to agent to as env. A refusal is returned, not shown. */
  connect(from: string, env: string, to: string): Promise<EditResult>;
  /** Deletes nodes and edges (an edge goes with its node). */
  remove(nodeIds: readonly string[], edges: readonly GraphEdge[]): Promise<void>;
}

/**
 * The canvas' edits of the army in ws. Each success goes to onWorkspace;
 * add and remove show a refusal with onError.
 */
export function useArmyEdits(api: Api, ws: Workspace, onWorkspace: (ws: Workspace) => void, onError: (message: string) => void): ArmyEdits {
  const attempt = useCallback(
    async (p: Promise<Workspace>): Promise<EditResult> => {
      try {
        const next = await p;
        onWorkspace(next);
        return { ok: true, ws: next };
      } catch (err) {
        return { ok: false, error: errorText(err) };
      }
    },
    [onWorkspace],
  );

  const apply = useCallback(
    async (what: string, p: Promise<Workspace>): Promise<boolean> => {
      const r = await attempt(p);
      if (!r.ok) onError(`${what}: ${r.error}`);
      return r.ok;
    },
    [attempt, onError],
  );

  const add = useCallback(
    async (item: PaletteItem, pos: Pos) => {
      const req = dropRequest(item, pos, ws);
      if (req.method === "AddAgent") {
        return (await apply(`adding agent ${req.spec.name}`, api.AddAgent(req.spec))) ? `agent:${req.spec.name}` : null;
      }
      return (await apply(`adding capability ${req.spec.name}`, api.AddCapability(req.spec))) ? `cap:${req.spec.name}` : null;
    },
    [api, apply, ws],
  );

  const bind = useCallback((agent: string, env: string, capability: string) => attempt(api.Bind(agent, env, capability)), [api, attempt]);

  // Go gives the receiver the message trigger it needs.
  const connect = useCallback((from: string, env: string, to: string) => attempt(api.Connect(from, env, to)), [api, attempt]);

  const remove = useCallback(
    async (nodeIds: readonly string[], edges: readonly GraphEdge[]) => {
      const gone = new Set(nodeIds);
      for (const e of edges) {
        if (gone.has(e.source) || gone.has(e.target)) continue; // goes with its node
        if (e.data.kind === "binding") {
          const d = e.data as BindingEdgeData;
          const ag = ws.agents.find((a) => a.name === d.agent);
          if (ag?.template?.as === d.env) {
            onError(`env.${d.env} is ${d.agent}'s template item: change the template in the agent's editor`);
            continue;
          }
          await apply(`unbinding env.${d.env} from ${d.agent}`, api.Unbind(d.agent, d.env));
        } else {
          const d = e.data as ChannelEdgeData;
          await apply(`removing the channel ${d.from} → ${d.to}`, api.Disconnect(d.from, d.env));
        }
      }
      for (const id of nodeIds) {
        const n = parseNodeId(id);
        if (!n) continue;
        if (n.kind === "agent") await apply(`deleting agent ${n.name}`, api.DeleteAgent(n.name));
        else await apply(`deleting capability ${n.name}`, api.DeleteCapability(n.name));
      }
    },
    [api, apply, onError, ws],
  );

  return { add, bind, connect, remove };
}
