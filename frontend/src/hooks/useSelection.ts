// useSelection: the node selected on the canvas (its editor shows in the
// side panel), forgotten when the node is gone from the Workspace.

import { useEffect, useState } from "react";
import { parseNodeId } from "../components/canvas/graph";
import type { AgentView, CapabilityView, Workspace } from "../lib/api";

export interface Selection {
  /** The selected node id (agent:NAME / cap:NAME), or null. */
  id: string | null;
  select(id: string | null): void;
  /** The selected agent or capability, when it is in the Workspace. */
  agent?: AgentView;
  capability?: CapabilityView;
}

export function useSelection(ws: Workspace | null): Selection {
  const [id, select] = useState<string | null>(null);
  const sel = id ? parseNodeId(id) : null;
  const agent = sel?.kind === "agent" ? ws?.agents.find((a) => a.name === sel.name) : undefined;
  const capability = sel?.kind === "capability" ? ws?.capabilities.find((c) => c.name === sel.name) : undefined;
  // The selected node must still exist.
  useEffect(() => {
    if (id && ws && !agent && !capability) select(null);
  }, [id, ws, agent, capability]);
  return { id, select, agent, capability };
}
