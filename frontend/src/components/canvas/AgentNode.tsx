// An agent node on the canvas (a template: a stack with its ×N and its
// instances).
//
// An instructions agent wears a badge: "instructions · plan" (or per-call)
// and its model's name.
//
// data-testid: node-agent-NAME (data-state: idle|running|failed|ok);
// node-mode-NAME, an instructions agent's badge (data-mode: plan|per-call);
// instances-NAME, the template's toggle; instance-list-NAME, its list.

import { Handle, type Node, type NodeProps, Position } from "@xyflow/react";
import { memo, useState } from "react";
import type { AgentNodeData, RunState } from "./graph";
import { LabelChips } from "./LabelChips";

export type AgentNodeType = Node<AgentNodeData, "agent">;

const STATE_TEXT: Record<RunState, string> = { idle: "idle", running: "running", failed: "failed", ok: "ok" };

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
        {a.mode && (
          <div className="lb-node-row mode-row" data-testid={`node-mode-${a.name}`} data-mode={a.mode} title={a.instructions}>
            <span className="mode-chip">instructions · {a.mode}</span>
            {a.model && <span className="model-chip">{a.model}</span>}
          </div>
        )}
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

export const AgentNode = memo(AgentNodeImpl);
