// A binding on the canvas: agent → capability (writes) or capability →
// agent (reads), coloured by Go's verdict; a click on its label shows why.
//
// data-testid: edge-bind:AGENT:ENV, edge-label-bind:AGENT:ENV (data-verdict,
// data-rule). A sink others could steer (the integrity rule) is marked "steer"
// on its label, beside the flag.

import { BaseEdge, type Edge, EdgeLabelRenderer, type EdgeProps, getBezierPath } from "@xyflow/react";
import { memo, useContext } from "react";
import { CanvasContext } from "./context";
import type { BindingEdgeData } from "./graph";

export type BindingEdgeType = Edge<BindingEdgeData, "binding">;

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
          data-rule={d.rule || undefined}
          data-edge={p.id}
          title={flagged ? ruleTitle(d.rule) : undefined}
        >
          {flagged ? <span className="v-icon">⚠</span> : d.verdict === "safe" ? <span className="v-icon ok">✓</span> : null}
          {flagged && (d.rule === "integrity" || d.rule === "both") && <span className="steer">steerable</span>}
          <span className="env">env.{d.env}</span>
        </div>
      </EdgeLabelRenderer>
    </>
  );
}

/** Says which rule holds a flagged sink. */
export function ruleTitle(rule: string): string {
  switch (rule) {
    case "integrity":
      return "held: people outside its audience could steer this call";
    case "both":
      return "held: its audience may not read what the agent read, and others could steer it";
    default:
      return "held: its audience may not read what the agent read";
  }
}

export const BindingEdge = memo(BindingEdgeImpl);
