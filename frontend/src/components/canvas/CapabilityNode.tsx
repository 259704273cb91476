// A capability node on the canvas: its kind, a summary of its props, whether
// agents read or write it, its secrets' count.
//
// data-testid: node-cap-NAME (data-kind).

import { Handle, type Node, type NodeProps, Position } from "@xyflow/react";
import { memo } from "react";
import { type CapabilityNodeData, kindStyle } from "./graph";
import { Icon } from "./icons";

export type CapabilityNodeType = Node<CapabilityNodeData, "capability">;

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

export const CapabilityNode = memo(CapabilityNodeImpl);
