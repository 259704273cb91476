// RunView: one RunRecord in full: status, result, error, console, and an
// instructions agent's attempts (AttemptList: the model's code for each try,
// its error, its tokens, whether it was the cached plan).

import type { RunRecord } from "../../lib/api";
import { AttemptList } from "./AttemptList";
import { formatDuration, pendingApprovals, prettyJSON } from "./util";

const STATUS_TEXT: Record<string, string> = { ok: "✓ ok", error: "✕ error", limit: "⚠ limit" };

/** A run's status as a coloured pill. */
export function RunStatus({ status }: { status: string }) {
  return (
    <span className={`lbp-status lbp-status-${status}`} data-testid="run-status">
      {STATUS_TEXT[status] ?? status}
    </span>
  );
}

interface RunViewProps {
  record: RunRecord;
  onOpenApprovals?: () => void;
  /** Leaves out the status line (when the row around it shows it). */
  compact?: boolean;
  testId?: string;
}

export function RunView({ record, onOpenApprovals, compact, testId = "run-result" }: RunViewProps) {
  const held = pendingApprovals(record.result);
  const lines = record.console ?? [];
  const attempts = record.attempts ?? [];
  return (
    <div className="lbp-run-record" data-testid={testId} data-status={record.status}>
      {!compact && (
        <div className="lbp-run-summary">
          <RunStatus status={record.status} />
          <span className="lbp-muted lbp-small">
            {record.entry || "run"} · {record.trigger} · {formatDuration(record.end - record.start)}
          </span>
        </div>
      )}
      {held.length > 0 && (
        <div className="lbp-held" data-testid="run-pending-approval" role="status">
          <b>Held for your approval — see Approvals.</b>
          <span>
            {held.length === 1
              ? "An action this run took could show what the agent read to someone outside its label, so it was not sent: approve or deny it in the approvals inbox."
              : `${held.length} actions this run took could show what the agent read to someone outside its label, so they were not sent: approve or deny them in the approvals inbox.`}
          </span>
          {onOpenApprovals && (
            <button type="button" className="lbp-button" onClick={onOpenApprovals} data-testid="run-open-approvals">
              Open approvals
            </button>
          )}
        </div>
      )}
      {record.error && (
        <div className="lbp-run-error" role="alert">
          <h4>{record.status === "limit" ? "Stopped by a limit" : "Error"}</h4>
          <pre data-testid="run-error">{record.error}</pre>
        </div>
      )}
      {record.result !== undefined && (
        <div>
          <h4>Result</h4>
          <pre className="lbp-pre" data-testid="run-value">
            {prettyJSON(record.result)}
          </pre>
        </div>
      )}
      {attempts.length > 0 && (
        <div data-testid="run-attempts">
          <h4>
            Attempts <span className="lbp-count">{attempts.length}</span>
          </h4>
          <AttemptList attempts={attempts} />
        </div>
      )}
      <div>
        <h4>
          Console <span className="lbp-count">{lines.length}</span>
        </h4>
        {lines.length === 0 ? (
          <p className="lbp-muted lbp-small">no output</p>
        ) : (
          <ol className="lbp-console" data-testid="run-console">
            {lines.map((l, i) => (
              <li key={i} className={`lbp-console-line lbp-level-${l.level}`}>
                <span className="lbp-level">{l.level}</span>
                <span className="lbp-console-text">{l.text}</span>
              </li>
            ))}
          </ol>
        )}
      </div>
    </div>
  );
}
