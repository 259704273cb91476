// The banner shown while the engine the window is attached to does not
// answer: the app is reconnecting (and starting a new engine when none
// runs). It goes when the engine is back; the army is then fetched again.
//
// data-testid: engine-banner (data-state).

import type { EngineState } from "../lib/api";

export function EngineBanner({ state }: { state: EngineState }) {
  if (state !== "reconnecting") return null;
  return (
    <div className="engine-banner" role="status" data-testid="engine-banner" data-state={state}>
      <span className="spinner" aria-hidden="true" />
      <span>The littleboxes engine stopped: reconnecting… Changes wait until it is back.</span>
    </div>
  );
}
