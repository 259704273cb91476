// CachedPlanView: the code a plan-mode instructions agent's model wrote,
// cached after the first run and reused by every run after it; read-only.
//
// data-testid: cached-plan (CodeMirror host), cached-plan-empty ("not written
// yet"), cached-plan-error, cached-plan-refresh.

import type { AgentView, Api } from "../../lib/api";
import { useCachedPlan } from "../../hooks/useCachedPlan";
import { CodeView } from "./CodeView";
import { ErrorLine } from "./parts";

/** The plan-mode code cached for agent, read-only. */
export function CachedPlanView({ api, agent, runsVersion }: { api: Api; agent: AgentView; runsVersion?: number }) {
  // Read again with every new view of the agent (its instructions saved) and after every run.
  const plan = useCachedPlan(api, agent.name, agent, runsVersion);
  return (
    <div className="lbp-cached-plan">
      <div className="lbp-pane-head">
        <h3>cached plan</h3>
        <span className="lbp-muted lbp-small">the code the model wrote, reused by every run · read-only</span>
        <span className="lbp-spacer" />
        <button type="button" className="lbp-button lbp-ghost" data-testid="cached-plan-refresh" onClick={plan.reload} disabled={plan.loading}>
          ↻
        </button>
      </div>
      {plan.code === "" ? (
        <p className="lbp-muted lbp-small" data-testid="cached-plan-empty">
          not written yet: the model writes it on the first run
        </p>
      ) : plan.code !== null ? (
        <CodeView value={plan.code} readOnly label={`cached plan of ${agent.name}`} testId="cached-plan" className="lbp-code-env" />
      ) : null}
      <ErrorLine error={plan.error} testId="cached-plan-error" />
    </div>
  );
}
