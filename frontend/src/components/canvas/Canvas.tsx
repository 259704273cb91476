// The canvas: the army as a graph the owner edits directly.
//
// Every change goes through the API as it happens, and the canvas redraws
// from the Workspace the call returns; verdicts, labels and problems are the
// Go side's. Positions the owner drags are saved with MoveNodes (debounced).
//
// data-testid (used by frontend/e2e and build/test-window.sh):
//   canvas               the canvas area (a drop target for the palette)
//   palette              the palette; palette-agent, palette-kind-KIND its items
//   env-prompt           the "env name" dialog after a connection;
//                        env-prompt-input, env-prompt-ok, env-prompt-cancel
//   why-panel            an edge's verdict and reason (after a click on its label)
//   delete-selected      deletes the selected nodes and edges
//   fit-view             zooms to fit
//   drag-ghost           the item being dragged from the palette
//   (nodes and edges: see nodes.tsx)

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
  type Node,
  type NodeChange,
  type OnBeforeDelete,
  ReactFlow,
  ReactFlowProvider,
  applyNodeChanges,
  useReactFlow,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import type { Api, KindInfo, Pos, Workspace } from "../../lib/api";
import { errorText } from "../../lib/transport";
import { CanvasContext } from "./context";
import {
  type BindingEdgeData,
  type ChannelEdgeData,
  type ConnectIntent,
  type GraphEdge,
  type Live,
  type PaletteItem,
  connectIntent,
  deriveGraph,
  dropRequest,
  kindStyle,
  movedPositions,
  parseNodeId,
} from "./graph";
import { Icon } from "./icons";
import { LabelChips, edgeTypes, nodeTypes } from "./nodes";

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
      <CanvasInner {...props} />
    </ReactFlowProvider>
  );
}

/** Connection drafts waiting for an env name. */
type Pending = Exclude<ConnectIntent, { kind: "invalid" }>;

const MOVE_DEBOUNCE_MS = 400;

function CanvasInner({ api, ws, kinds, live, selected, onSelect, onWorkspace, onError }: CanvasProps) {
  const flow = useReactFlow();
  const wrapper = useRef<HTMLDivElement>(null);
  const graph = useMemo(() => deriveGraph(ws, kinds, live), [ws, kinds, live]);

  // Positions moved here and not yet in a Workspace (MoveNodes returns none).
  const [moved, setMoved] = useState<Record<string, Pos>>({});
  const [nodes, setNodes] = useState<Node[]>([]);
  const [selectedEdges, setSelectedEdges] = useState<Set<string>>(new Set());
  const [pending, setPending] = useState<Pending | null>(null);
  const [shownEdge, setShownEdge] = useState<string | null>(null);
  const moveQueue = useRef<Record<string, Pos>>({});
  const moveTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    setNodes((prev) => {
      const prevById = new Map(prev.map((n) => [n.id, n]));
      return graph.nodes.map((g) => {
        const old = prevById.get(g.id);
        return {
          id: g.id,
          type: g.type,
          position: moved[g.id] ?? g.position,
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
  // Another army also forgets the positions dragged here.
  const fittedFor = useRef<string | null>(null);
  useEffect(() => {
    const key = `${ws.path}#${ws.name}`;
    if (fittedFor.current === key) return;
    if (fittedFor.current !== null) setMoved({});
    fittedFor.current = key;
    if (graph.nodes.length === 0) return;
    setTimeout(() => void flow.fitView({ padding: 0.08, duration: 0, maxZoom: 1.1 }), 80);
  }, [ws.path, ws.name, graph.nodes.length, flow]);

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

  const flushMoves = useCallback(() => {
    moveTimer.current = null;
    const q = moveQueue.current;
    moveQueue.current = {};
    if (Object.keys(q).length === 0) return;
    api.MoveNodes(movedPositions(q)).catch((err) => onError(`saving positions: ${errorText(err)}`));
  }, [api, onError]);

  useEffect(
    () => () => {
      if (moveTimer.current) {
        clearTimeout(moveTimer.current);
        flushMoves();
      }
    },
    [flushMoves],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange[]) => {
      setNodes((ns) => applyNodeChanges(changes, ns));
      let queued = false;
      const newly: Record<string, Pos> = {};
      for (const c of changes) {
        if (c.type === "position" && c.position) {
          newly[c.id] = c.position;
          if (!c.dragging) queued = true;
          moveQueue.current[c.id] = c.position;
        }
        if (c.type === "select" && c.selected) onSelect(c.id);
      }
      if (Object.keys(newly).length) setMoved((m) => ({ ...m, ...newly }));
      if (queued || Object.keys(newly).length) {
        if (moveTimer.current) clearTimeout(moveTimer.current);
        moveTimer.current = setTimeout(flushMoves, MOVE_DEBOUNCE_MS);
      }
    },
    [flushMoves, onSelect],
  );

  const apply = useCallback(
    async (what: string, p: Promise<Workspace>): Promise<Workspace | null> => {
      try {
        const next = await p;
        onWorkspace(next);
        return next;
      } catch (err) {
        onError(`${what}: ${errorText(err)}`);
        return null;
      }
    },
    [onWorkspace, onError],
  );

  // Palette drops.
  const drop = useCallback(
    async (item: PaletteItem, clientX: number, clientY: number) => {
      const p = flow.screenToFlowPosition({ x: clientX, y: clientY });
      const req = dropRequest(item, { x: p.x - 100, y: p.y - 30 }, ws);
      const next =
        req.method === "AddAgent"
          ? await apply(`adding agent ${req.spec.name}`, api.AddAgent(req.spec))
          : await apply(`adding capability ${req.spec.name}`, api.AddCapability(req.spec));
      if (next) onSelect(req.method === "AddAgent" ? `agent:${req.spec.name}` : `cap:${req.spec.name}`);
    },
    [api, apply, flow, onSelect, ws],
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
    async (env: string) => {
      const p = pending;
      setPending(null);
      if (!p) return;
      if (p.kind === "bind") {
        await apply(`binding ${p.capability} to ${p.agent}`, api.Bind(p.agent, env, p.capability));
        return;
      }
      await connectAgents(api, ws, p.from, env, p.to, apply);
    },
    [pending, api, apply, ws],
  );

  // Deletion: the API does it; the canvas redraws from the result.
  const remove = useCallback(
    async (nodeIds: string[], edgeIds: string[]) => {
      const gone = new Set(nodeIds);
      for (const id of edgeIds) {
        const e = graph.edges.find((x) => x.id === id);
        if (!e) continue;
        if (gone.has(e.source) || gone.has(e.target)) continue; // goes with its node
        if (e.data.kind === "binding") {
          const d = e.data as BindingEdgeData;
          const ag = ws.agents.find((a) => a.name === d.agent);
          if (ag?.template && ag.template.as === d.env && !ag.bindings.some((b) => b.env === d.env)) {
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
      if (selected && gone.has(selected)) onSelect(null);
      setSelectedEdges(new Set());
      setShownEdge(null);
    },
    [api, apply, graph, onError, onSelect, selected, ws],
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

/**
 * Connects from → to as env, and gives the receiver the "message" trigger an
 * army requires of every agent a channel comes to, when it lacks it.
 */
async function connectAgents(
  api: Api,
  ws: Workspace,
  from: string,
  env: string,
  to: string,
  apply: (what: string, p: Promise<Workspace>) => Promise<Workspace | null>,
) {
  const what = `connecting ${from} → ${to}`;
  let next: Workspace;
  try {
    next = await api.Connect(from, env, to);
  } catch (err) {
    // Perhaps refused for the missing trigger: add it, then connect.
    const target = ws.agents.find((a) => a.name === to);
    if (!target || (target.triggers ?? []).includes("message")) {
      await apply(what, Promise.reject(err));
      return;
    }
    const added = await apply(what, api.UpdateAgent(to, { ...specOf(target), triggers: [...(target.triggers ?? []), "message"] }));
    if (added) await apply(what, api.Connect(from, env, to));
    return;
  }
  const target = next.agents.find((a) => a.name === to);
  if (target && !(target.triggers ?? []).includes("message")) {
    const added = await apply(`${what} (adding the message trigger to ${to})`, api.UpdateAgent(to, { ...specOf(target), triggers: [...(target.triggers ?? []), "message"] }));
    if (added) return;
  }
  await apply(what, Promise.resolve(next));
}

function specOf(a: Workspace["agents"][number]) {
  return { name: a.name, doc: a.doc, code: a.code, triggers: a.triggers, template: a.template, pos: a.pos };
}

/** The palette: drag an agent or a capability kind onto the canvas (or click to add it). */
function Palette({ kinds, onDrop, canvas }: { kinds: KindInfo[]; onDrop(item: PaletteItem, x: number, y: number): void; canvas: React.RefObject<HTMLDivElement | null> }) {
  const [drag, setDrag] = useState<{ item: PaletteItem; label: string; x: number; y: number; moved: boolean } | null>(null);
  const dragRef = useRef(drag);
  dragRef.current = drag;

  useEffect(() => {
    if (!drag) return;
    const move = (e: PointerEvent) => {
      const d = dragRef.current;
      if (!d) return;
      const moved = d.moved || Math.abs(e.clientX - d.x) + Math.abs(e.clientY - d.y) > 4;
      setDrag({ ...d, x: e.clientX, y: e.clientY, moved });
    };
    const up = (e: PointerEvent) => {
      const d = dragRef.current;
      setDrag(null);
      if (!d) return;
      const r = canvas.current?.getBoundingClientRect();
      if (!r) return;
      if (!d.moved) {
        onDrop(d.item, r.left + r.width / 2, r.top + r.height / 2); // a click: add in the middle
        return;
      }
      if (e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom) onDrop(d.item, e.clientX, e.clientY);
    };
    const cancel = () => setDrag(null);
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
    window.addEventListener("pointercancel", cancel);
    return () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      window.removeEventListener("pointercancel", cancel);
    };
    // one listener set per drag
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [drag !== null]);

  const start = (item: PaletteItem, label: string) => (e: React.PointerEvent) => {
    if (e.button !== 0) return;
    e.preventDefault();
    setDrag({ item, label, x: e.clientX, y: e.clientY, moved: false });
  };

  return (
    <aside className="palette" data-testid="palette" aria-label="Palette">
      <div className="palette-head">Add</div>
      <div
        className="palette-item agent-item"
        data-testid="palette-agent"
        role="button"
        tabIndex={0}
        title="An agent: a small JavaScript module. Drag onto the canvas."
        onPointerDown={start({ type: "agent" }, "Agent")}
        onKeyDown={(e) => {
          if (e.key === "Enter" || e.key === " ") {
            const r = canvas.current?.getBoundingClientRect();
            if (r) onDrop({ type: "agent" }, r.left + r.width / 2, r.top + r.height / 2);
          }
        }}
      >
        <span className="agent-glyph" aria-hidden="true" />
        <span className="palette-text">
          <b>Agent</b>
          <small>JS module</small>
        </span>
      </div>
      <div className="palette-head">Capabilities</div>
      {kinds.map((k) => {
        const st = kindStyle(k.id);
        return (
          <div
            key={k.id}
            className="palette-item"
            data-testid={`palette-kind-${k.id}`}
            role="button"
            tabIndex={0}
            title={k.doc}
            style={{ ["--kind" as string]: st.colour }}
            onPointerDown={start({ type: "capability", kind: k.id }, k.id)}
            onKeyDown={(e) => {
              if (e.key === "Enter" || e.key === " ") {
                const r = canvas.current?.getBoundingClientRect();
                if (r) onDrop({ type: "capability", kind: k.id }, r.left + r.width / 2, r.top + r.height / 2);
              }
            }}
          >
            <span className="kind-glyph" aria-hidden="true">
              <Icon name={k.id} />
            </span>
            <span className="palette-text">
              <b>{k.id}</b>
              <small>{k.doc}</small>
            </span>
          </div>
        );
      })}
      <div className="palette-hint">
        Drag onto the canvas. Connect a node's right handle to another's left handle: agent ↔ capability binds it, agent → agent is a channel.
      </div>
      {drag && drag.moved && (
        <div className="drag-ghost" data-testid="drag-ghost" style={{ left: drag.x + 8, top: drag.y + 8 }}>
          {drag.label}
        </div>
      )}
    </aside>
  );
}

/** The small dialog asking for the env name of a new binding or channel. */
function EnvPrompt({ pending, onOk, onCancel }: { pending: Pending; onOk(env: string): void; onCancel(): void }) {
  const [env, setEnv] = useState(pending.env);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);
  const valid = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/.test(env);
  return (
    <div className="env-prompt-backdrop" onPointerDown={(e) => e.target === e.currentTarget && onCancel()}>
      <form
        className="env-prompt"
        data-testid="env-prompt"
        onSubmit={(e) => {
          e.preventDefault();
          if (valid) onOk(env);
        }}
      >
        <h3>{pending.kind === "bind" ? "Bind a capability" : "Add a channel"}</h3>
        <p className="muted">
          {pending.kind === "bind" ? (
            <>
              <b>{pending.agent}</b> will call <b>{pending.capability}</b> as
            </>
          ) : (
            <>
              <b>{pending.from}</b> will send to <b>{pending.to}</b> (one way) as
            </>
          )}
        </p>
        <label className="env-field">
          <span>env.</span>
          <input
            ref={input}
            value={env}
            onChange={(e) => setEnv(e.target.value)}
            onKeyDown={(e) => e.key === "Escape" && onCancel()}
            data-testid="env-prompt-input"
            aria-label="env name"
            spellCheck={false}
          />
        </label>
        {!valid && <p className="field-error">a JavaScript identifier: letters, digits, _ or $, not starting with a digit</p>}
        <div className="dialog-buttons">
          <button type="button" className="button" onClick={onCancel} data-testid="env-prompt-cancel">
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={!valid} data-testid="env-prompt-ok">
            {pending.kind === "bind" ? "Bind" : "Connect"}
          </button>
        </div>
      </form>
    </div>
  );
}

/** An edge's verdict and why, after a click on it. */
function WhyPanel({ edge, onClose }: { edge: GraphEdge; onClose(): void }) {
  const d = edge.data;
  return (
    <div className={`why-panel verdict-${d.verdict || "none"}`} data-testid="why-panel" data-verdict={d.verdict}>
      <div className="why-head">
        {d.verdict === "approval" ? (
          <span className="badge badge-approval">⚠ needs approval</span>
        ) : d.verdict === "safe" ? (
          <span className="badge badge-safe">✓ safe</span>
        ) : (
          <span className="badge badge-none">{d.kind === "channel" ? "channel" : "reads"}</span>
        )}
        <span className="why-title">
          {d.kind === "binding" ? (
            <>
              {(d as BindingEdgeData).agent}.env.{d.env} → {(d as BindingEdgeData).capability}
            </>
          ) : (
            <>
              {(d as ChannelEdgeData).from} ⇢ {(d as ChannelEdgeData).to} as env.{d.env}
            </>
          )}
        </span>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close">
          ✕
        </button>
      </div>
      {d.kind === "binding" && (d as BindingEdgeData).audience.length > 0 && (
        <div className="why-row">
          <span className="row-key">audience</span>
          <LabelChips label={(d as BindingEdgeData).audience} />
        </div>
      )}
      {d.kind === "channel" && (
        <div className="why-row">
          <span className="row-key">carries</span>
          <LabelChips label={(d as ChannelEdgeData).label} empty="public" />
        </div>
      )}
      {d.why ? (
        <p className="why-text" data-testid="why-text">
          {d.why as string}
        </p>
      ) : (
        <p className="why-text muted">
          {d.kind === "channel"
            ? "Sending on a channel is always safe: the receiver's label drops to the sender's."
            : d.verdict === "safe"
              ? "Everyone who will see what this writes may already see all the agent read."
              : "This binding only reads: the agent's label meets the capability's."}
        </p>
      )}
    </div>
  );
}
