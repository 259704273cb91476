// The agent editor's run input (JSON) and Run button (RunAgent), with the
// last run's record.
//
// data-testid: agent-run-input, agent-run-input-ok, agent-run-input-error,
// agent-run, agent-run-error (and RunView's).

import { useEffect, useRef, useState } from "react";
import type { AgentView, Api, RunRecord } from "../../lib/api";
import { errorText } from "../../lib/transport";
import { ErrorLine } from "./parts";
import { RunView } from "./RunView";
import { checkRunInput } from "./util";

/** The input box and the Run button, with the last run's record. */
export function RunBox({
  api,
  agent,
  dirty,
  save,
  onOpenApprovals,
}: {
  api: Api;
  agent: AgentView;
  dirty: boolean;
  save: () => Promise<boolean>;
  onOpenApprovals?: () => void;
}) {
  const [input, setInput] = useState("{}");
  const [running, setRunning] = useState(false);
  const [record, setRecord] = useState<RunRecord | null>(null);
  const [error, setError] = useState<string | null>(null);
  const check = checkRunInput(input);
  const name = useRef(agent.name);
  useEffect(() => {
    if (name.current !== agent.name) {
      setRecord(null);
      setError(null);
    }
    name.current = agent.name;
  }, [agent.name]);

  const run = async () => {
    if (running || !check.ok) return;
    setRunning(true);
    setError(null);
    try {
      if (dirty && !(await save())) return;
      setRecord(await api.RunAgent(agent.name, check.json));
    } catch (err) {
      setError(errorText(err));
      setRecord(null);
    } finally {
      setRunning(false);
    }
  };

  return (
    <div className="lbp-run">
      <div className="lbp-run-input">
        <div className="lbp-pane-head">
          <h3>input</h3>
          {check.ok ? (
            <span className="lbp-small lbp-ok-text" data-testid="agent-run-input-ok">
              ✓ valid JSON
            </span>
          ) : (
            <span className="lbp-small lbp-err-text" data-testid="agent-run-input-error">
              line {check.line}, column {check.column}: {check.message}
            </span>
          )}
          <span className="lbp-spacer" />
          <button
            type="button"
            className="lbp-button lbp-run-button"
            data-testid="agent-run"
            disabled={running || !check.ok}
            onClick={() => void run()}
            title={dirty ? "saves the code, then runs it" : "runs the saved code once"}
          >
            {running ? "Running…" : dirty ? "▶ Save & run" : "▶ Run"}
          </button>
        </div>
        <textarea
          className={`lbp-textarea lbp-mono ${check.ok ? "" : "lbp-invalid"}`}
          data-testid="agent-run-input"
          aria-label="run input (JSON)"
          aria-invalid={!check.ok}
          spellCheck={false}
          value={input}
          onChange={(e) => setInput(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void run();
            }
          }}
          rows={4}
        />
      </div>
      <div className="lbp-run-output">
        <ErrorLine error={error} testId="agent-run-error" />
        {record ? (
          <RunView record={record} onOpenApprovals={onOpenApprovals} />
        ) : (
          !error && (
            <p className="lbp-muted lbp-small lbp-run-empty">
              Runs <code>run(input, env, ctx)</code> once with this input. <kbd>Ctrl</kbd>+<kbd>Enter</kbd> in the box runs too.
            </p>
          )
        )}
      </div>
    </div>
  );
}
