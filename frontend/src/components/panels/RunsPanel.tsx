// RunsPanel: recent invocations, newest first, each expandable to its
// result, error, console output and (an instructions agent's) attempts.

import { useCallback, useEffect, useRef, useState } from "react";
import type { Api, RunRecord } from "../../lib/api";
import { attemptsText } from "./AttemptList";
import { ErrorLine } from "./parts";
import { RunStatus, RunView } from "./RunView";
import { errorText } from "../../lib/transport";
import { formatDuration, formatTime, newestFirst } from "./util";

export interface RunsPanelProps {
  api: Api;
  /** One agent's runs; undefined for every agent's. */
  agent?: string;
  /** Increment it to reload (after a run, on a run.end event). */
  version?: number;
  /** How many runs to fetch; 50 by default. */
  limit?: number;
  onOpenApprovals?: () => void;
}

export function RunsPanel({ api, agent, version, limit = 50, onOpenApprovals }: RunsPanelProps) {
  const [runs, setRuns] = useState<RunRecord[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [open, setOpen] = useState<Set<string>>(new Set());
  const seq = useRef(0);

  const load = useCallback(async () => {
    const my = ++seq.current;
    setLoading(true);
    try {
      const r = await api.Runs(agent ?? "", limit);
      if (my !== seq.current) return;
      setRuns(newestFirst(Array.isArray(r) ? r : []));
      setError(null);
    } catch (err) {
      if (my === seq.current) setError(errorText(err));
    } finally {
      if (my === seq.current) setLoading(false);
    }
  }, [api, agent, limit]);

  // Another agent's runs: drop the old list at once rather than show it under the new name.
  const shown = useRef(agent);
  useEffect(() => {
    if (shown.current !== agent) {
      shown.current = agent;
      setRuns(null);
      setOpen(new Set());
    }
    void load();
  }, [load, version, agent]);

  const toggle = (id: string) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <section className="lbp-panel lbp-runs" data-testid="runs-panel" aria-label="Runs" aria-busy={loading}>
      <header className="lbp-head">
        <div className="lbp-title">
          <span className="lbp-eyebrow">{agent ? `agent ${agent}` : "all agents"}</span>
          <h2>
            Runs {runs && <span className="lbp-count">{runs.length}</span>}
          </h2>
        </div>
        <span className="lbp-spacer" />
        <button type="button" className="lbp-button lbp-ghost" onClick={() => void load()} disabled={loading} data-testid="runs-refresh">
          {loading ? "Loading…" : "↻ Refresh"}
        </button>
      </header>
      <div className="lbp-body">
        <ErrorLine error={error} testId="runs-error" />
        {runs === null ? (
          !error && <p className="lbp-muted">Loading…</p>
        ) : runs.length === 0 ? (
          <p className="lbp-empty" data-testid="runs-empty">
            No runs yet{agent ? ` of ${agent}` : ""}.
          </p>
        ) : (
          <ol className="lbp-run-list">
            {runs.map((r) => {
              const expanded = open.has(r.id);
              return (
                <li key={r.id} className={`lbp-run-row lbp-run-${r.status}`} data-testid={`run-${r.id}`}>
                  <button
                    type="button"
                    className="lbp-run-row-head"
                    aria-expanded={expanded}
                    onClick={() => toggle(r.id)}
                    data-testid={`run-toggle-${r.id}`}
                  >
                    <span className="lbp-caret">{expanded ? "▾" : "▸"}</span>
                    <span className="lbp-run-time" title={new Date(r.start).toString()}>
                      {formatTime(r.start)}
                    </span>
                    <span className="lbp-run-agent">{r.agent}</span>
                    <span className="lbp-chip lbp-chip-kind">{r.trigger}</span>
                    <RunStatus status={r.status} />
                    {(r.attempts ?? []).length > 0 && (
                      <span
                        className="lbp-chip lbp-chip-kind"
                        data-testid={`run-attempts-${r.id}`}
                        title="tries at the code: a model wrote it, or the cached plan ran"
                      >
                        {attemptsText(r.attempts ?? [])}
                      </span>
                    )}
                    <span className="lbp-run-duration">{formatDuration(r.end - r.start)}</span>
                    {!expanded && r.error && <span className="lbp-run-snippet lbp-err-text">{r.error}</span>}
                  </button>
                  {expanded && (
                    <div className="lbp-run-detail">
                      <RunView record={r} compact onOpenApprovals={onOpenApprovals} testId={`run-detail-${r.id}`} />
                    </div>
                  )}
                </li>
              );
            })}
          </ol>
        )}
      </div>
    </section>
  );
}
