// The canvas' node and edge components.
//
// data-testid (used by frontend/e2e):
//   node-agent-NAME      an agent node (data-state: idle|running|failed|ok)
//   node-cap-NAME        a capability node (data-kind)
//   instances-NAME       a template's "×N" toggle; instance-list-NAME its list
//   edge-ID / edge-label-ID   an edge's path / label (data-verdict: safe|approval|"")
//     ID is bind:AGENT:ENV or chan:FROM:ENV

import { memo, useContext, useState } from "react";
import { CanvasContext } from "./context";
import {
  BaseEdge,
  EdgeLabelRenderer,
  type Edge,
  type EdgeProps,
  Handle,
  type Node,
  type NodeProps,
  Position,
  getBezierPath,
} from "@xyflow/react";
import type { AgentNodeData, BindingEdgeData, CapabilityNodeData, ChannelEdgeData, RunState } from "./graph";
import { kindStyle } from "./graph";
import { Icon } from "./icons";

export type AgentNodeType = Node<AgentNodeData, "agent">;
export type CapabilityNodeType = Node<CapabilityNodeData, "capability">;
export type BindingEdgeType = Edge<BindingEdgeData, "binding">;
export type ChannelEdgeType = Edge<ChannelEdgeData, "channel">;

const STATE_TEXT: Record<RunState, string> = { idle: "idle", running: "running", failed: "failed", ok: "ok" };

/** A principal as a short chip: "owner", "public", "alice@…", "origin:…". */
export function LabelChip({ p }: { p: string }) {
  const i = p.indexOf(":");
  const kind = i > 0 ? p.slice(0, i) : p;
  const name = i > 0 ? p.slice(i + 1) : "";
  return (
    <span className={`lchip lchip-${kind}`} title={p}>
      {name ? <>{kind !== "person" && <span className="lchip-kind">{kind}</span>}{name.replace(/^https?:\/\//, "")}</> : kind}
    </span>
  );
}

export function LabelChips({ label, empty = "—" }: { label: string[]; empty?: string }) {
  if (!label || label.length === 0) return <span className="lchip lchip-none">{empty}</span>;
  return (
    <span className="lchips">
      {label.map((p) => (
        <LabelChip key={p} p={p} />
      ))}
    </span>
  );
}

function AgentNodeImpl({ data, selected }: NodeProps<AgentNodeType>) {
  const a = data.agent;
  const [open, setOpen] = useState(false);
  const template = !!a.template;
  const instances = a.instances ?? [];
  return (
    <div
      className={`lb-node agent-node state-${data.state}${template ? " template" : ""}${selected ? " selected" : ""}`}
      data-testid={`node-agent-${a.name}`}
      data-state={data.state}
    >
      {template && (
        <>
          <div className="stack-sheet sheet-2" aria-hidden="true" />
          <div className="stack-sheet sheet-1" aria-hidden="true" />
        </>
      )}
      <div className="lb-node-body">
        <Handle type="target" position={Position.Left} id="in" className="lb-handle" />
        <div className="lb-node-head">
          <span className="agent-glyph" aria-hidden="true" />
          <span className="lb-node-name">{a.name}</span>
          {template && <span className="times">×{instances.length}</span>}
          <span className={`run-dot run-${data.state}`} title={STATE_TEXT[data.state]} aria-label={STATE_TEXT[data.state]} />
        </div>
        {a.doc && <div className="lb-node-doc">{a.doc}</div>}
        <div className="lb-node-row">
          {(a.triggers ?? []).map((t) => (
            <span key={t} className="trigger-chip">
              {t}
            </span>
          ))}
          {template && (
            <span className="trigger-chip template-chip" title={`one agent per item of ${a.template!.each}, bound as env.${a.template!.as}`}>
              each {a.template!.each}
            </span>
          )}
        </div>
        <div className="lb-node-row label-row">
          <span className="row-key">label</span>
          <LabelChips label={a.label ?? []} empty="public" />
        </div>
        {data.verdict === "approval" && <div className="node-flag">⚠ a sink needs approval</div>}
        {template && (
          <button
            type="button"
            className="instances-toggle nodrag"
            data-testid={`instances-${a.name}`}
            aria-expanded={open}
            onClick={(e) => {
              e.stopPropagation();
              setOpen(!open);
            }}
          >
            {open ? "▾" : "▸"} {instances.length} instance{instances.length === 1 ? "" : "s"}
          </button>
        )}
        {template && open && (
          <ul className="instance-list nodrag nowheel" data-testid={`instance-list-${a.name}`}>
            {instances.length === 0 && <li className="muted">no items yet</li>}
            {instances.map((i) => {
              const st = data.instanceStates[i.name] ?? "idle";
              return (
                <li key={i.name} data-state={st}>
                  <span className={`run-dot run-${st}`} title={st} />
                  <code className="item">{i.item}</code>
                  <span className="inst-state">{st}</span>
                  <LabelChips label={i.label ?? []} />
                </li>
              );
            })}
          </ul>
        )}
        <Handle type="source" position={Position.Right} id="out" className="lb-handle" />
      </div>
    </div>
  );
}

function propsSummary(props: Record<string, unknown>): string {
  for (const k of ["origins", "base_url", "maildir", "namespace", "model"]) {
    const v = props?.[k];
    if (Array.isArray(v) && v.length) return String(v[0]) + (v.length > 1 ? ` +${v.length - 1}` : "");
    if (typeof v === "string" && v) return v;
  }
  return "";
}

function CapabilityNodeImpl({ data, selected }: NodeProps<CapabilityNodeType>) {
  const c = data.capability;
  const st = kindStyle(c.kind);
  const summary = propsSummary(c.props);
  const secrets = Object.keys(c.secrets ?? {});
  return (
    <div
      className={`lb-node cap-node${selected ? " selected" : ""}${data.verdict === "approval" ? " flagged" : ""}`}
      data-testid={`node-cap-${c.name}`}
      data-kind={c.kind}
      style={{ ["--kind" as string]: st.colour }}
    >
      <div className="lb-node-body">
        <Handle type="target" position={Position.Left} id="in" className="lb-handle" />
        <div className="lb-node-head">
          <span className="kind-glyph" aria-hidden="true">
            <Icon name={c.kind} />
          </span>
          <span className="lb-node-name">{c.name}</span>
          <span className="kind-id">{c.kind}</span>
        </div>
        {summary && <div className="lb-node-doc mono">{summary}</div>}
        <div className="lb-node-row">
          {data.reads && <span className="role-chip role-read">reads</span>}
          {data.writes && <span className={`role-chip role-write verdict-${data.verdict || "none"}`}>writes</span>}
          {secrets.length > 0 && (
            <span className="role-chip role-secret" title={`secrets: ${secrets.join(", ")}`}>
              <Icon name="key" size={10} /> {secrets.length}
            </span>
          )}
        </div>
        <Handle type="source" position={Position.Right} id="out" className="lb-handle" />
      </div>
    </div>
  );
}

export const AgentNode = memo(AgentNodeImpl);
export const CapabilityNode = memo(CapabilityNodeImpl);

function BindingEdgeImpl(p: EdgeProps<BindingEdgeType>) {
  const d = p.data!;
  const { showEdge } = useContext(CanvasContext);
  const [path, lx, ly] = getBezierPath(p);
  const flagged = d.verdict === "approval";
  return (
    <>
      <BaseEdge
        id={p.id}
        path={path}
        markerEnd={p.markerEnd}
        markerStart={p.markerStart}
        className={`lb-edge binding-edge verdict-${d.verdict || "none"}${p.selected ? " selected" : ""}`}
        style={{ stroke: d.colour, strokeWidth: flagged ? 2.5 : 2, strokeDasharray: d.role === "pure" ? "5 4" : undefined }}
        data-testid={`edge-${p.id}`}
        data-verdict={d.verdict}
        interactionWidth={18}
      />
      <EdgeLabelRenderer>
        <div
          onClick={() => showEdge(p.id)}
          className={`nodrag nopan edge-label binding-label verdict-${d.verdict || "none"}${p.selected ? " selected" : ""}`}
          style={{ transform: `translate(-50%, -50%) translate(${lx}px,${ly}px)`, borderColor: d.colour }}
          data-testid={`edge-label-${p.id}`}
          data-verdict={d.verdict}
          data-edge={p.id}
        >
          {flagged ? <span className="v-icon">⚠</span> : d.verdict === "safe" ? <span className="v-icon ok">✓</span> : null}
          <span className="env">env.{d.env}</span>
        </div>
      </EdgeLabelRenderer>
    </>
  );
}

function ChannelEdgeImpl(p: EdgeProps<ChannelEdgeType>) {
  const d = p.data!;
  const { showEdge } = useContext(CanvasContext);
  const [path, lx, ly] = getBezierPath(p);
  const recent = d.pulse > 0 && Date.now() - d.pulse < 2000;
  return (
    <>
      <BaseEdge
        id={p.id}
        path={path}
        markerEnd={p.markerEnd}
        className={`lb-edge channel-edge${recent ? " pulsing" : ""}${p.selected ? " selected" : ""}`}
        style={{ stroke: d.colour, strokeWidth: 2.5 }}
        data-testid={`edge-${p.id}`}
        data-verdict={d.verdict}
        interactionWidth={18}
      />
      {recent && (
        <circle key={d.pulse} r="6" className="pulse-dot" fill={d.colour}>
          <animateMotion dur="0.9s" repeatCount="1" fill="freeze" path={path} />
        </circle>
      )}
      <EdgeLabelRenderer>
        <div
          onClick={() => showEdge(p.id)}
          className={`nodrag nopan edge-label channel-label${recent ? " pulsing" : ""}${p.selected ? " selected" : ""}`}
          style={{ transform: `translate(-50%, -50%) translate(${lx}px,${ly}px)` }}
          data-testid={`edge-label-${p.id}`}
          data-verdict={d.verdict}
          data-edge={p.id}
        >
          <span className="env">⇢ env.{d.env}</span>
          <LabelChips label={d.label} empty="public" />
        </div>
      </EdgeLabelRenderer>
    </>
  );
}

export const BindingEdge = memo(BindingEdgeImpl);
export const ChannelEdge = memo(ChannelEdgeImpl);

export const nodeTypes = { agent: AgentNode, capability: CapabilityNode };
export const edgeTypes = { binding: BindingEdge, channel: ChannelEdge };
