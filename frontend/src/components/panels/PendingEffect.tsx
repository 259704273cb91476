// One held sink call in the approvals inbox: what will be sent, to whom, why
// it was held, with Approve and Deny.
//
// data-testid: approval-ID, approval-audience-ID, approval-why-ID,
// approval-args-ID, approve-ID, deny-ID, approval-error-ID.

import type { Effect } from "../../lib/api";
import { ArgsView } from "./ArgsView";
import { EffectTarget } from "./EffectTarget";
import { ErrorLine, Principals } from "./parts";
import { formatTime } from "./util";

export function PendingEffect({
  effect,
  busy,
  error,
  onDecide,
}: {
  effect: Effect;
  busy?: "approve" | "deny";
  error?: string;
  onDecide: (how: "approve" | "deny") => void;
}) {
  const approving = effect.status === "approving";
  const disabled = busy !== undefined || approving;
  return (
    <li className="lbp-effect" data-testid={`approval-${effect.id}`} aria-busy={disabled}>
      <div className="lbp-effect-head">
        <EffectTarget effect={effect} />
        <span className="lbp-spacer" />
        <span className="lbp-muted lbp-small" title={new Date(effect.created).toString()}>
          {formatTime(effect.created)}
        </span>
      </div>
      <dl className="lbp-effect-facts">
        <dt>who will see it</dt>
        <dd data-testid={`approval-audience-${effect.id}`}>
          <Principals names={effect.audience} empty="unknown" />
        </dd>
        {effect.why && (
          <>
            <dt>why it was held</dt>
            <dd className="lbp-why" data-testid={`approval-why-${effect.id}`}>
              {effect.why}
            </dd>
          </>
        )}
        <dt>what will be sent</dt>
        <dd>
          <ArgsView args={effect.args} testId={`approval-args-${effect.id}`} />
        </dd>
      </dl>
      <div className="lbp-effect-actions">
        <button
          type="button"
          className="lbp-button lbp-approve"
          data-testid={`approve-${effect.id}`}
          disabled={disabled}
          onClick={() => onDecide("approve")}
        >
          {busy === "approve" || approving ? "Approving…" : "✓ Approve and send"}
        </button>
        <button
          type="button"
          className="lbp-button lbp-deny"
          data-testid={`deny-${effect.id}`}
          disabled={disabled}
          onClick={() => onDecide("deny")}
        >
          {busy === "deny" ? "Denying…" : "✕ Deny"}
        </button>
      </div>
      <ErrorLine error={error} testId={`approval-error-${effect.id}`} />
    </li>
  );
}
