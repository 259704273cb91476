// One decided effect in the approvals inbox: approved, denied, failed or
// interrupted, with what was (or would have been) sent.
//
// data-testid: decided-ID.

import type { Effect } from "../../lib/api";
import { ArgsView } from "./ArgsView";
import { EffectTarget } from "./EffectTarget";
import { Principals } from "./parts";
import { formatTime, prettyJSON } from "./util";

const DECIDED_TEXT: Record<string, string> = {
  approved: "✓ approved",
  denied: "✕ denied",
  failed: "⚠ failed",
  interrupted: "⚠ interrupted",
};

const SENT_TEXT: Record<string, string> = {
  approved: "what was sent",
  failed: "what it tried to send",
  denied: "what would have been sent",
};

export function DecidedEffect({ effect }: { effect: Effect }) {
  return (
    <li className="lbp-effect lbp-effect-decided" data-testid={`decided-${effect.id}`}>
      <details>
        <summary className="lbp-effect-head">
          <span className={`lbp-status lbp-decided-${effect.status}`}>{DECIDED_TEXT[effect.status] ?? effect.status}</span>
          <EffectTarget effect={effect} />
          <span className="lbp-spacer" />
          <span className="lbp-muted lbp-small">{formatTime(effect.decided ?? effect.created)}</span>
        </summary>
        <dl className="lbp-effect-facts">
          <dt>seen by</dt>
          <dd>
            <Principals names={effect.audience} empty="unknown" />
          </dd>
          {effect.why && (
            <>
              <dt>why it was held</dt>
              <dd className="lbp-why">{effect.why}</dd>
            </>
          )}
          <dt>{SENT_TEXT[effect.status] ?? "arguments"}</dt>
          <dd>
            <ArgsView args={effect.args} />
          </dd>
          {effect.result !== undefined && (
            <>
              <dt>result</dt>
              <dd>
                <pre className="lbp-pre lbp-scroll">{prettyJSON(effect.result)}</pre>
              </dd>
            </>
          )}
          {effect.error && (
            <>
              <dt>error</dt>
              <dd>
                <pre className="lbp-pre lbp-err-text">{effect.error}</pre>
              </dd>
            </>
          )}
        </dl>
      </details>
    </li>
  );
}
