// The panel that shows an edge's verdict and why, after a click on it.
//
// data-testid: why-panel (data-verdict), why-text.

import type { BindingEdgeData, ChannelEdgeData, GraphEdge } from "./graph";
import { LabelChips } from "./LabelChips";

/** An edge's verdict and why, after a click on it. */
export function WhyPanel({ edge, onClose }: { edge: GraphEdge; onClose(): void }) {
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
