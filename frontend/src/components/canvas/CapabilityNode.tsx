// A capability node on the canvas: its kind, a summary of its props, whether
// agents read or write it, its secrets' count, and, for a dynamic kind (an
// MCP server's tools, an OpenAPI document's operations), its methods with
// their roles.
//
// data-testid: node-cap-NAME (data-kind); cap-methods-NAME the method list,
// cap-method-NAME-METHOD one method (data-role), cap-methods-more-NAME the
// count of those not listed.

import { Handle, type Node, type NodeProps, Position } from "@xyflow/react";
import { memo } from "react";
import { type CapabilityNodeData, kindStyle } from "./graph";
import { Icon } from "./icons";

export type CapabilityNodeType = Node<CapabilityNodeData, "capability">;

function propsSummary(props: Record<string, unknown>): string {
  for (const k of ["origins", "origin", "base_url", "url", "command", "maildir", "namespace", "model"]) {
    const v = props?.[k];
    if (Array.isArray(v) && v.length) return String(v[0]) + (v.length > 1 ? ` +${v.length - 1}` : "");
    if (typeof v === "string" && v) return v;
  }
  return "";
}

/** How many methods a node lists; the rest are counted (and in the tooltip). */
export const MAX_NODE_METHODS = 8;

function CapabilityNodeImpl({ data, selected }: NodeProps<CapabilityNodeType>) {
  const c = data.capability;
  const st = kindStyle(c.kind);
  const summary = propsSummary(c.props);
  const secrets = Object.keys(c.secrets ?? {});
  const methods = c.methods ?? [];
  const shown = methods.slice(0, MAX_NODE_METHODS);
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
        {methods.length > 0 && (
          <ul className="cap-methods" data-testid={`cap-methods-${c.name}`} aria-label={`${c.name}'s methods`}>
            {shown.map((m) => (
              <li key={m.name} className="cap-method" data-testid={`cap-method-${c.name}-${m.name}`} data-role={m.role}>
                <code className="mono">{m.name}</code>
                <span className={`role-chip method-role method-role-${m.role}`}>{m.role}</span>
              </li>
            ))}
            {methods.length > shown.length && (
              <li
                className="cap-method cap-methods-more"
                data-testid={`cap-methods-more-${c.name}`}
                title={methods
                  .slice(MAX_NODE_METHODS)
                  .map((m) => `${m.name} (${m.role})`)
                  .join(", ")}
              >
                +{methods.length - shown.length} more
              </li>
            )}
          </ul>
        )}
        <Handle type="source" position={Position.Right} id="out" className="lb-handle" />
      </div>
    </div>
  );
}

export const CapabilityNode = memo(CapabilityNodeImpl);
