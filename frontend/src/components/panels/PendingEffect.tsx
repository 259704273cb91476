// One held sink call in the approvals inbox: what will be sent, to whom, why
// it was held, with Approve and Deny.
//
// data-testid: approval-ID (data-focused="1" on the one in focus), approval-audience-ID, approval-why-ID,
// approval-args-ID, approve-ID, deny-ID, approval-error-ID.

import { useEffect, useRef } from "react";
import type { Effect } from "../../lib/api";
import { ArgsView } from "./ArgsView";
import { EffectTarget } from "./EffectTarget";
import { ErrorLine, Principals } from "./parts";
import { formatTime } from "./util";

export function PendingEffect({
  effect,
  busy,
  error,
  focused = false,
  onDecide,
}: {
  effect: Effect;
  busy?: "approve" | "deny";
  error?: string;
  /** The one the person came for (a click on its notification): marked and scrolled to. */
  focused?: boolean;
  onDecide: (how: "approve" | "deny") => void;
}) {
  const approving = effect.status === "approving";
  const disabled = busy !== undefined || approving;
  const ref = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (focused) ref.current?.scrollIntoView?.({ block: "start" });
  }, [focused]);
  return (
    <li
      ref={ref}
      className={focused ? "lbp-effect lbp-effect-focus" : "lbp-effect"}
      data-testid={`approval-${effect.id}`}
      data-focused={focused ? "1" : undefined}
      aria-busy={disabled}
      aria-current={focused ? "true" : undefined}
    >
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
