// Which agent calls which method of which binding, for an effect.

import type { Effect } from "../../lib/api";

/** "AGENT → env.ENV.METHOD via CAPABILITY". */
export function EffectTarget({ effect }: { effect: Effect }) {
  return (
    <span className="lbp-target">
      <b>{effect.agent}</b>
      <span className="lbp-arrow">→</span>
      <code>
        env.{effect.env}.{effect.method}
      </code>
      <span className="lbp-muted lbp-small">via {effect.capability}</span>
    </span>
  );
}
