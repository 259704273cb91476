// DescribeBox: the owner says what an agent should do; a model (an llm
// capability of the army) writes the module against the agent's env
// declaration, and the Go side compiles it and dry-runs it on a sample input
// with every writing method simulated (Describe). Shown: each attempt, the
// calls it would make, the dry run's value and console, and a diff against the
// current code, to Accept (UpdateAgent with the code) or Discard. When every
// attempt failed, the attempts are shown with the error, and nothing to
// accept (describe-failed).
//
// data-testid: describe (the box), describe-text, describe-model,
// describe-input, describe-input-error, describe-write, describe-writing,
// describe-error, describe-result, describe-calls, describe-call (each
// "would call env.X.m(args)"), describe-no-calls, describe-value,
// describe-console, describe-diff, describe-accept, describe-discard,
// describe-failed;
// AttemptList's inside.

import { useState } from "react";
import type { AgentView, Api, SimulatedCall, Workspace } from "../../lib/api";
import { useDescribe } from "../../hooks/useDescribe";
import { AttemptList } from "./AttemptList";
import { DiffView } from "./DiffView";
import { ModelPicker } from "./ModelPicker";
import { ErrorLine } from "./parts";
import { checkRunInput, prettyJSON } from "./util";

/** The most characters of a call's arguments shown on its line. */
const ARGS_SHOWN = 240;

/** "would call env.X.m(args)", the arguments as JSON, cut at ARGS_SHOWN. */
export function wouldCall(c: SimulatedCall): string {
  let args = (c.args ?? []).map((a) => JSON.stringify(a) ?? "undefined").join(", ");
  if (args.length > ARGS_SHOWN) args = `${args.slice(0, ARGS_SHOWN)}…`;
  return `would call env.${c.env}.${c.method}(${args})`;
}

export interface DescribeBoxProps {
  api: Api;
  agent: AgentView;
  /** The army's llm capabilities. */
  models: readonly string[];
  onWorkspace: (ws: Workspace) => void;
  /** Called with the code after Accept saved it. */
  onAccepted?: (code: string) => void;
}

export function DescribeBox({ api, agent, models, onWorkspace, onAccepted }: DescribeBoxProps) {
  const d = useDescribe(api, agent.name, onWorkspace);
  const [text, setText] = useState("");
  const [model, setModel] = useState(agent.model || models[0] || "");
  const [input, setInput] = useState("");
  const check = input.trim() === "" ? null : checkRunInput(input);
  const inputBad = check !== null && !check.ok;
  const r = d.result;

  const write = () => {
    if (d.writing || text.trim() === "" || inputBad) return;
    void d.write(text, model, input.trim() === "" ? "" : input);
  };
  const accept = async () => {
    const code = await d.accept();
    if (code !== null) onAccepted?.(code);
  };

  return (
    <section className="lbp-describe" data-testid="describe" aria-label="Describe this agent to a model">
      <div className="lbp-pane-head">
        <h3>Describe</h3>
        <span className="lbp-muted lbp-small">a model writes the code; you see what it would do before keeping it</span>
      </div>
      <textarea
        className="lbp-textarea"
        data-testid="describe-text"
        aria-label="what the agent should do"
        rows={3}
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder="What should this agent do? e.g. keep the input's title in env.notes under its id"
      />
      <div className="lbp-describe-row">
        <label className="lbp-field">
          <span>model</span>
          <ModelPicker
            models={models}
            value={model}
            onChange={setModel}
            defaultLabel={models.length === 0 ? "(no llm capability in this army)" : null}
            testId="describe-model"
          />
        </label>
        <label className="lbp-field lbp-describe-input">
          <span>sample input (JSON, optional)</span>
          <textarea
            className="lbp-textarea lbp-mono"
            data-testid="describe-input"
            rows={1}
            value={input}
            spellCheck={false}
            onChange={(e) => setInput(e.target.value)}
            placeholder='{"id": 1}'
          />
        </label>
        <button
          type="button"
          className="lbp-button lbp-primary"
          data-testid="describe-write"
          disabled={d.writing || text.trim() === "" || inputBad}
          onClick={write}
        >
          {d.writing ? "Writing…" : "Write"}
        </button>
      </div>
      {check && !check.ok && (
        <p className="lbp-err-text lbp-small" data-testid="describe-input-error">
          {check.line}:{check.column} {check.message}
        </p>
      )}
      {d.writing && (
        <p className="lbp-muted lbp-small" data-testid="describe-writing" role="status">
          The model is writing the code; each attempt is compiled and dry-run with writes simulated…
        </p>
      )}
      <ErrorLine error={d.error} testId="describe-error" />
      {r && (
        <div className="lbp-describe-result" data-testid="describe-result">
          <h4>
            Attempts <span className="lbp-count">{r.attempts.length}</span>
            {r.model && <span className="lbp-muted lbp-small"> · {r.model}</span>}
          </h4>
          <AttemptList attempts={r.attempts} />
          {r.error ? (
            <div className="lbp-settings-actions">
              <span className="lbp-muted lbp-small" data-testid="describe-failed">
                No attempt passed, so there is nothing to keep: each one's error is above. Say more in the description and Write again.
              </span>
              <button type="button" className="lbp-button lbp-ghost" data-testid="describe-discard" onClick={d.discard}>
                Discard
              </button>
            </div>
          ) : (
            <>
              <h4>What it would do</h4>
              {(r.calls ?? []).length === 0 ? (
                <p className="lbp-muted lbp-small" data-testid="describe-no-calls">
                  no writing call on the sample input
                </p>
              ) : (
                <ul className="lbp-describe-calls" data-testid="describe-calls">
                  {r.calls.map((c, i) => (
                    <li key={i} data-testid="describe-call">
                      <code>{wouldCall(c)}</code>
                    </li>
                  ))}
                </ul>
              )}
              <h4>Dry-run result</h4>
              <pre className="lbp-pre" data-testid="describe-value">
                {r.value === undefined ? "undefined" : prettyJSON(r.value)}
              </pre>
              {(r.console ?? []).length > 0 && (
                <pre className="lbp-pre" data-testid="describe-console">
                  {(r.console ?? []).map((l) => `${l.level}: ${l.text}`).join("\n")}
                </pre>
              )}
              <h4>Diff against the current code</h4>
              <DiffView diff={r.diff} testId="describe-diff" />
              <div className="lbp-settings-actions">
                <button type="button" className="lbp-button lbp-primary" data-testid="describe-accept" disabled={d.accepting} onClick={() => void accept()}>
                  {d.accepting ? "Saving…" : "Accept"}
                </button>
                <button type="button" className="lbp-button lbp-ghost" data-testid="describe-discard" onClick={d.discard}>
                  Discard
                </button>
                {agent.mode !== "" && <span className="lbp-muted lbp-small">Accept makes this a code agent with this code</span>}
              </div>
            </>
          )}
        </div>
      )}
    </section>
  );
}
