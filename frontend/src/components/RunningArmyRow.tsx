// One army of the running list (RunningArmies): its name, the shown one
// marked, its agents or why it does not run, a button to show it and one
// to stop it, which asks first.
//
// data-testid: running-army-NAME (data-shown="1" on the shown one),
// running-open-NAME, running-stop-NAME, running-stop-confirm,
// running-stop-cancel.

import { useState } from "react";
import type { RunningArmy } from "../lib/api";

export interface RunningArmyRowProps {
  army: RunningArmy;
  /** Whether an action on this army is in flight. */
  busy: boolean;
  onOpen(name: string): void;
  onStop(name: string): void;
}

export function RunningArmyRow({ army, busy, onOpen, onStop }: RunningArmyRowProps) {
  const [confirming, setConfirming] = useState(false);
  const { name } = army;
  return (
    <li className={`running-army${army.shown ? " shown" : ""}`} data-testid={`running-army-${name}`} data-shown={army.shown ? "1" : "0"}>
      <div className="running-army-head">
        <span className="running-army-name">{name}</span>
        {army.shown && <span className="running-army-shown">shown</span>}
        <span className="running-army-detail" title={army.path}>
          {army.notRunning ? army.notRunning : `${army.agents} agent${army.agents === 1 ? "" : "s"}`}
        </span>
      </div>
      {confirming ? (
        <div className="running-army-actions" role="group" aria-label={`Stop ${name}?`}>
          <span className="running-army-ask">Stop {name}? Its triggers stop until it is started again.</span>
          <button
            type="button"
            className="tool-button danger"
            data-testid="running-stop-confirm"
            disabled={busy}
            onClick={() => {
              setConfirming(false);
              onStop(name);
            }}
          >
            Stop
          </button>
          <button type="button" className="tool-button" data-testid="running-stop-cancel" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <div className="running-army-actions">
          {!army.shown && (
            <button type="button" className="tool-button" data-testid={`running-open-${name}`} disabled={busy} onClick={() => onOpen(name)}>
              Show
            </button>
          )}
          <button type="button" className="tool-button danger" data-testid={`running-stop-${name}`} disabled={busy} onClick={() => setConfirming(true)}>
            Stop…
          </button>
        </div>
      )}
    </li>
  );
}
