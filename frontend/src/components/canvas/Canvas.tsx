// The canvas: the army as a graph the owner edits directly.
//
// Every change goes through the API as it happens, and the canvas redraws
// from the Workspace the call returns; verdicts, labels, positions and
// problems are the Go side's (a node Go has no position for is laid out
// here). Positions the owner drags are saved with MoveNodes (debounced).
//
// data-testid (used by frontend/e2e and build/test-window.sh):
//   canvas               the canvas area (a drop target for the palette)
//   palette              the palette; palette-agent, palette-kind-KIND its items
//   env-prompt           the "env name" dialog after a connection;
//                        env-prompt-input, env-prompt-ok, env-prompt-cancel,
//                        env-prompt-error (Go's refusal of the name)
//   why-panel            an edge's verdict and reason (after a click on its label)
//   delete-selected      deletes the selected nodes and edges
//   fit-view             zooms to fit
//   drag-ghost           the item being dragged from the palette
//   (nodes and edges: see nodes.tsx)
//
// The parts, one per file: CanvasFlow (the graph), Palette, EnvPrompt,
// WhyPanel, nodes.tsx; the hooks useArmyEdits and useNodePositions.

import { ReactFlowProvider } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import type { Api, KindInfo, Workspace } from "../../lib/api";
import { CanvasFlow } from "./CanvasFlow";
import type { Live } from "./graph";

export interface CanvasProps {
  api: Api;
  ws: Workspace;
  kinds: KindInfo[];
  live: Live;
  /** The selected node id (agent:NAME / cap:NAME), or null. */
  selected: string | null;
  onSelect(id: string | null): void;
  onWorkspace(ws: Workspace): void;
  onError(message: string): void;
}

export function Canvas(props: CanvasProps) {
  return (
    <ReactFlowProvider>
      <CanvasFlow {...props} />
    </ReactFlowProvider>
  );
}
