// The canvas inside its React Flow provider: the graph of the Workspace, the
// palette beside it, and the dialogs a connection or a click opens. Every
// change is an API call (useArmyEdits); moves are saved by useNodePositions.

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  Background,
  BackgroundVariant,
  type Connection,
  ConnectionLineType,
  Controls,
  type Edge,
  MarkerType,
  MiniMap,
  type OnBeforeDelete,
  ReactFlow,
  useReactFlow,
} from "@xyflow/react";
import { useArmyEdits } from "../../hooks/useArmyEdits";
import { useNodePositions } from "../../hooks/useNodePositions";
import type { CanvasProps } from "./Canvas";
import { CanvasContext } from "./context";
import { EnvPrompt, type PendingConnection } from "./EnvPrompt";
import { type BindingEdgeData, type GraphEdge, type PaletteItem, connectIntent, deriveGraph, kindStyle } from "./graph";
import { edgeTypes, nodeTypes } from "./nodes";
import { Palette } from "./Palette";
import { WhyPanel } from "./WhyPanel";

export function CanvasFlow({ api, ws, kinds, live, selected, onSelect, onWorkspace, onError }: CanvasProps) {
  const flow = useReactFlow();
  const wrapper = useRef<HTMLDivElement>(null);
  const graph = useMemo(() => deriveGraph(ws, kinds, live), [ws, kinds, live]);
  const armyKey = `${ws.path}#${ws.name}`;
  const { nodes, onNodesChange } = useNodePositions(api, graph, selected, armyKey, onSelect, onError);
  const edits = useArmyEdits(api, ws, onWorkspace, onError);

  const [selectedEdges, setSelectedEdges] = useState<Set<string>>(new Set());
  const [pending, setPending] = useState<PendingConnection | null>(null);
  const [shownEdge, setShownEdge] = useState<string | null>(null);

  const edges: Edge[] = useMemo(
    () =>
      graph.edges.map((e: GraphEdge) => ({
        id: e.id,
        type: e.type,
        source: e.source,
        target: e.target,
        sourceHandle: "out",
        targetHandle: "in",
        data: e.data,
        selected: selectedEdges.has(e.id),
        markerEnd:
          e.type === "channel" || (e.data as BindingEdgeData).role !== "pure"
            ? { type: MarkerType.ArrowClosed, color: e.data.colour as string, width: 18, height: 18 }
            : undefined,
        // An exchange both sends and reads: arrows at both ends.
        markerStart:
          e.type === "binding" && (e.data as BindingEdgeData).role === "exchange"
            ? { type: MarkerType.ArrowClosed, color: e.data.colour as string, width: 14, height: 14, orient: "auto-start-reverse" }
            : undefined,
      })),
    [graph, selectedEdges],
  );

  // Fit the view when an army is first shown (first load, import, example);
  // after that the view is the owner's: adding a node does not move it.
  const fittedFor = useRef<string | null>(null);
  const fitTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    if (fittedFor.current === armyKey) return;
    fittedFor.current = armyKey;
    if (graph.nodes.length === 0) return;
    fitTimer.current = setTimeout(() => void flow.fitView({ padding: 0.08, duration: 0, maxZoom: 1.1 }), 80);
  }, [armyKey, graph.nodes.length, flow]);
  // A fit still pending when the canvas goes away is dropped.
  useEffect(() => () => clearTimeout(fitTimer.current), []);

  // Keep the selected node in view when the side panel takes room from the canvas.
  useEffect(() => {
    if (!selected) return;
    const t = setTimeout(() => {
      const n = flow.getNode(selected);
      const box = wrapper.current?.getBoundingClientRect();
      if (!n || !box) return;
      const w = n.measured?.width ?? 220;
      const h = n.measured?.height ?? 120;
      const tl = flow.flowToScreenPosition({ x: n.position.x, y: n.position.y });
      const br = flow.flowToScreenPosition({ x: n.position.x + w, y: n.position.y + h });
      const inside = tl.x >= box.left && tl.y >= box.top && br.x <= box.right && br.y <= box.bottom;
      if (inside) return;
      // Centre it in the canvas as it is now (React Flow's own size may lag).
      const zoom = flow.getZoom();
      void flow.setViewport(
        { x: box.width / 2 - (n.position.x + w / 2) * zoom, y: box.height / 2 - (n.position.y + h / 2) * zoom, zoom },
        { duration: 250 },
      );
    }, 120);
    return () => clearTimeout(t);
  }, [selected, flow]);

  // Palette drops: a new node, selected.
  const drop = useCallback(
    async (item: PaletteItem, clientX: number, clientY: number) => {
      const p = flow.screenToFlowPosition({ x: clientX, y: clientY });
      const id = await edits.add(item, { x: p.x - 100, y: p.y - 30 });
      if (id) onSelect(id);
    },
    [edits, flow, onSelect],
  );

  // Connections: ask for the env name first.
  const onConnect = useCallback(
    (c: Connection) => {
      const intent = connectIntent(c.source, c.target, ws);
      if (intent.kind === "invalid") {
        onError(intent.reason);
        return;
      }
      setPending(intent);
    },
    [ws, onError],
  );

  const confirmPending = useCallback(
    async (env: string): Promise<string | null> => {
      const p = pending;
      if (!p) return null;
      const r = p.kind === "bind" ? await edits.bind(p.agent, env, p.capability) : await edits.connect(p.from, env, p.to);
      if (!r.ok) return r.error;
      setPending(null);
      return null;
    },
    [pending, edits],
  );

  // Deletion: the API does it; the canvas redraws from the result.
  const remove = useCallback(
    async (nodeIds: string[], edgeIds: string[]) => {
      const chosen = edgeIds.map((id) => graph.edges.find((e) => e.id === id)).filter((e): e is GraphEdge => !!e);
      await edits.remove(nodeIds, chosen);
      if (selected && nodeIds.includes(selected)) onSelect(null);
      setSelectedEdges(new Set());
      setShownEdge(null);
    },
    [edits, graph, onSelect, selected],
  );

  const onBeforeDelete: OnBeforeDelete = useCallback(
    async ({ nodes: ns, edges: es }) => {
      await remove(
        ns.map((n) => n.id),
        es.map((e) => e.id),
      );
      return false; // the Workspace decides what is left
    },
    [remove],
  );

  const deleteSelected = useCallback(() => {
    const ns = nodes.filter((n) => n.selected).map((n) => n.id);
    if (selected && !ns.includes(selected)) ns.push(selected);
    void remove(ns, [...selectedEdges]);
  }, [nodes, selected, selectedEdges, remove]);

  const actions = useMemo(
    () => ({
      showEdge: (id: string) => {
        setShownEdge(id);
        setSelectedEdges(new Set([id]));
      },
    }),
    [],
  );

  const shown = shownEdge ? graph.edges.find((e) => e.id === shownEdge) : undefined;

  return (
    <CanvasContext.Provider value={actions}>
      <div className="canvas-layout">
        <Palette kinds={kinds} onDrop={drop} canvas={wrapper} />
        <div className="canvas" ref={wrapper} data-testid="canvas">
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            edgeTypes={edgeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={(changes) => {
              setSelectedEdges((cur) => {
                const next = new Set(cur);
                for (const c of changes) if (c.type === "select") c.selected ? next.add(c.id) : next.delete(c.id);
                return next;
              });
            }}
            onConnect={onConnect}
            onBeforeDelete={onBeforeDelete}
            onEdgeClick={(_, e) => actions.showEdge(e.id)}
            onNodeClick={(_, n) => {
              onSelect(n.id);
              // A flagged sink explains itself: show why beside its editor.
              const flagged = graph.edges.find((e) => e.type === "binding" && e.target === n.id && e.data.verdict === "approval");
              setShownEdge(flagged ? flagged.id : null);
            }}
            onPaneClick={() => {
              onSelect(null);
              setShownEdge(null);
            }}
            deleteKeyCode={["Backspace", "Delete"]}
            connectionLineType={ConnectionLineType.Bezier}
            connectionLineStyle={{ stroke: "#8692a6", strokeWidth: 2 }}
            minZoom={0.15}
            maxZoom={2.5}
            proOptions={{ hideAttribution: true }}
            colorMode="dark"
            fitView
            fitViewOptions={{ padding: 0.08, maxZoom: 1.1 }}
          >
            <Background variant={BackgroundVariant.Dots} gap={22} size={1.4} color="#2a3342" />
            <MiniMap
              pannable
              zoomable
              className="lb-minimap"
              style={{ width: 168, height: 110 }}
              nodeColor={(n) => (n.type === "agent" ? "#a78bfa" : kindStyle(((n.data as { capability?: { kind: string } }).capability?.kind) ?? "").colour)}
              maskColor="rgba(11,16,24,0.7)"
            />
            <Controls showInteractive={false} />
          </ReactFlow>
          <div className="canvas-tools">
            <button type="button" className="tool-button" data-testid="fit-view" title="Zoom to fit" onClick={() => void flow.fitView({ padding: 0.08, duration: 200, maxZoom: 1.1 })}>
              ⤢ Fit
            </button>
            <button
              type="button"
              className="tool-button danger"
              data-testid="delete-selected"
              title="Delete the selection (Delete / Backspace)"
              disabled={!selected && selectedEdges.size === 0}
              onClick={deleteSelected}
            >
              ✕ Delete
            </button>
          </div>
          {ws.agents.length === 0 && ws.capabilities.length === 0 && (
            <div className="canvas-empty">
              <h3>An empty army</h3>
              <p>Drag an agent and a capability from the palette, then drag from a node's right handle to another node's left handle to connect them.</p>
            </div>
          )}
          {shown && <WhyPanel edge={shown} onClose={() => setShownEdge(null)} />}
          {pending && <EnvPrompt pending={pending} onOk={confirmPending} onCancel={() => setPending(null)} />}
        </div>
      </div>
    </CanvasContext.Provider>
  );
}
