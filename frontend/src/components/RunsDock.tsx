// The runs dock under the canvas: the selected agent's runs, or a hint.
//
// data-testid: runs-dock, runs-toggle, runs-hint.

import { useState } from "react";
import type { Api } from "../lib/api";
import { RunsPanel } from "./panels";

export interface RunsDockProps {
  api: Api;
  /** The selected agent, or undefined. */
  agent?: string;
  /** Grows when a run ended or an effect was decided: the list reloads. */
  version: number;
  onOpenApprovals(): void;
}

export function RunsDock({ api, agent, version, onOpenApprovals }: RunsDockProps) {
  const [open, setOpen] = useState(true);
  return (
    <div className={`runs-dock${open ? " open" : ""}${agent ? "" : " idle"}`} data-testid="runs-dock">
      <button type="button" className="runs-toggle" data-testid="runs-toggle" onClick={() => setOpen(!open)} aria-expanded={open}>
        {open ? "▾" : "▸"} Runs{agent ? ` · ${agent}` : ""}
      </button>
      {open &&
        (agent ? (
          <RunsPanel key={agent} api={api} agent={agent} version={version} onOpenApprovals={onOpenApprovals} />
        ) : (
          // Runs("") is not "every agent" on the Go side (yet): one agent at a time.
          <div className="runs-hint" data-testid="runs-hint">
            Select an agent on the canvas to see its runs: each invocation's result, error and console output.
          </div>
        ))}
    </div>
  );
}
