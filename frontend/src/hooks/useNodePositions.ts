// useNodePositions: the canvas' React Flow nodes, kept across redraws, and
// the positions the owner drags them to, saved with MoveNodes (debounced).
// MoveNodes returns no Workspace, so a moved node keeps the place it was
// dragged to until another army is shown.

import { type Node, type NodeChange, applyNodeChanges } from "@xyflow/react";
import { useCallback, useEffect, useRef, useState } from "react";
import { type GraphNode, movedPositions } from "../components/canvas/graph";
import type { Api, Pos } from "../lib/api";
import { errorText } from "../lib/transport";

/** How long the positions wait after the last move before they are saved. */
export const MOVE_DEBOUNCE_MS = 400;

/**
 * The nodes to draw for graph (selected marks the selected one), and the
 * handler of React Flow's node changes. armyKey names the army shown: a new
 * one forgets the positions dragged here. onSelect hears a node selected.
 */
export function useNodePositions(
  api: Api,
  graph: { nodes: GraphNode[] },
  selected: string | null,
  armyKey: string,
  onSelect: (id: string) => void,
  onError: (message: string) => void,
): { nodes: Node[]; onNodesChange: (changes: NodeChange[]) => void } {
  // Positions moved here and not yet in a Workspace (MoveNodes returns none).
  const [moved, setMoved] = useState<Record<string, Pos>>({});
  const [nodes, setNodes] = useState<Node[]>([]);
  const queue = useRef<Record<string, Pos>>({});
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const shownArmy = useRef(armyKey);
  const movedNow = shownArmy.current === armyKey ? moved : {};
  useEffect(() => {
    if (shownArmy.current === armyKey) return;
    shownArmy.current = armyKey;
    setMoved({});
  }, [armyKey]);

  useEffect(() => {
    setNodes((prev) => {
      const prevById = new Map(prev.map((n) => [n.id, n]));
      return graph.nodes.map((g) => {
        const old = prevById.get(g.id);
        return {
          id: g.id,
          type: g.type,
          position: movedNow[g.id] ?? g.position,
          data: g.data,
          selected: g.id === selected,
          measured: old?.measured,
          dragging: old?.dragging,
        } as Node;
      });
    });
    // moved is read, not a trigger: a drag updates nodes itself
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [graph, selected]);

  const flush = useCallback(() => {
    timer.current = null;
    const q = queue.current;
    queue.current = {};
    if (Object.keys(q).length === 0) return;
    api.MoveNodes(movedPositions(q)).catch((err) => onError(`saving positions: ${errorText(err)}`));
  }, [api, onError]);

  // Unmounted with moves waiting: save them now.
  useEffect(
    () => () => {
      if (timer.current) {
        clearTimeout(timer.current);
        flush();
      }
    },
    [flush],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange[]) => {
      setNodes((ns) => applyNodeChanges(changes, ns));
      const newly: Record<string, Pos> = {};
      for (const c of changes) {
        if (c.type === "position" && c.position) {
          newly[c.id] = c.position;
          queue.current[c.id] = c.position;
        }
        if (c.type === "select" && c.selected) onSelect(c.id);
      }
      if (Object.keys(newly).length === 0) return;
      setMoved((m) => ({ ...m, ...newly }));
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(flush, MOVE_DEBOUNCE_MS);
    },
    [flush, onSelect],
  );

  return { nodes, onNodesChange };
}
