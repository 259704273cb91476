// A channel on the canvas: agent ⇢ agent, with the label it carries; it
// pulses when a message passes.
//
// data-testid: edge-chan:FROM:ENV, edge-label-chan:FROM:ENV (class pulsing).

import { BaseEdge, type Edge, EdgeLabelRenderer, type EdgeProps, getBezierPath } from "@xyflow/react";
import { memo, useContext } from "react";
import { CanvasContext } from "./context";
import { type ChannelEdgeData, PULSE_MS } from "./graph";
import { LabelChips } from "./LabelChips";

export type ChannelEdgeType = Edge<ChannelEdgeData, "channel">;

function ChannelEdgeImpl(p: EdgeProps<ChannelEdgeType>) {
  const d = p.data!;
  const { showEdge } = useContext(CanvasContext);
  const [path, lx, ly] = getBezierPath(p);
  const recent = d.pulse > 0 && Date.now() - d.pulse < PULSE_MS;
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

export const ChannelEdge = memo(ChannelEdgeImpl);
