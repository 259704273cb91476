// The title bar's list of the armies the engine runs side by side: a
// button counting them opens it; each row (RunningArmyRow) shows one army
// in the window or stops it. The list is kept current by the page
// (useRunning's refresh on the engine's events); Escape closes it.
//
// data-testid: running-armies (the button, data-count), running-list,
// running-empty, running-error; the rows' in RunningArmyRow.tsx.

import { useCallback, useState } from "react";
import type { RunningState } from "../hooks/useRunning";
import { useEscape } from "../hooks/useEscape";
import { RunningArmyRow } from "./RunningArmyRow";

export function RunningArmies({ running }: { running: RunningState }) {
  const [open, setOpen] = useState(false);
  const close = useCallback(() => setOpen(false), []);
  useEscape(close);
  const { armies, busy, error } = running;
  const count = armies?.filter((a) => !a.notRunning).length ?? 0;
  const errorLine = error && (
    <p className="running-error" role="alert" data-testid="running-error">
      {error}
    </p>
  );

  return (
    <div className="running-armies">
      <button
        type="button"
        className="tb-button"
        data-testid="running-armies"
        data-count={count}
        aria-expanded={open}
        title="The armies the engine runs"
        onClick={() => {
          if (!open) void running.refresh();
          setOpen(!open);
        }}
      >
        {count} running
      </button>
      {open ? (
        <div className="running-list" data-testid="running-list">
          {armies && armies.length === 0 && (
            <p className="running-empty" data-testid="running-empty">
              No army is running.
            </p>
          )}
          <ul>
            {armies?.map((a) => (
              <RunningArmyRow
                key={a.name}
                army={a}
                busy={busy === a.name}
                onOpen={(name) => void running.open(name).then(close)}
                onStop={(name) => void running.stop(name)}
              />
            ))}
          </ul>
          {errorLine}
        </div>
      ) : (
        errorLine
      )}
    </div>
  );
}
