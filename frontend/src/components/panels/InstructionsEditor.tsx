// InstructionsEditor: an instructions agent's Code Mode settings — the
// owner's words, the model (an llm capability) that writes its code, the mode
// (plan: written once from the words and the env declaration, never seeing
// the data, then cached; per-call: written for each input, which the model
// then sees) and how many attempts a run may take — saved together with
// UpdateAgent. In plan mode, the cached plan's code (CachedPlan), read-only.
// Given a code agent (convert), the same form turns it into an instructions
// agent (its code is dropped).
//
// data-testid: instructions (the form; data-convert="1" for a code agent),
// instructions-text, instructions-model, instructions-mode,
// instructions-attempts, instructions-save, instructions-error; and
// CachedPlanView's.

import { type FormEvent, useEffect, useState } from "react";
import type { AgentView, Api, Workspace } from "../../lib/api";
import { errorText } from "../../lib/transport";
import { CachedPlanView } from "./CachedPlanView";
import { ModelPicker } from "./ModelPicker";
import { ErrorLine } from "./parts";

/** The attempts a run may take when the army file says none (the Go default). */
export const DEFAULT_ATTEMPTS = 3;

const MODE_DOC: Record<string, string> = {
  plan: "the model writes the code once, from these words and the env declaration only — it never sees the data; the code is cached and reused",
  "per-call": "the model sees each input and writes code for it every time: that call carries what the agent read, so it is a sink to the model's provider",
};

export interface InstructionsEditorProps {
  api: Api;
  agent: AgentView;
  /** The army's llm capabilities. */
  models: readonly string[];
  onWorkspace: (ws: Workspace) => void;
  /** Changes when a run ends: the cached plan is read again. */
  runsVersion?: number;
  /** The agent is a code agent: saving turns it into an instructions agent. */
  convert?: boolean;
}

export function InstructionsEditor({ api, agent, models, runsVersion, onWorkspace, convert = false }: InstructionsEditorProps) {
  const initial = () => ({
    instructions: convert ? "" : agent.instructions,
    model: agent.model || models[0] || "",
    mode: agent.mode || "plan",
    attempts: String(agent.attempts || DEFAULT_ATTEMPTS),
  });
  const [form, setForm] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify([agent.name, agent.instructions, agent.model, agent.mode, agent.attempts, convert]);
  useEffect(() => {
    setForm(initial());
    setError(null);
  }, [key]);

  const base = initial();
  const changed = JSON.stringify(form) !== JSON.stringify(base);
  const attempts = Number(form.attempts);
  const attemptsOk = Number.isInteger(attempts) && attempts >= 1;
  const canSave = changed && !busy && form.instructions.trim() !== "" && attemptsOk;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!canSave) return;
    setBusy(true);
    setError(null);
    try {
      const ws = await api.UpdateAgent(agent.name, {
        name: agent.name,
        instructions: form.instructions,
        model: form.model,
        mode: form.mode,
        attempts,
      });
      onWorkspace(ws);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const set = (k: keyof typeof form) => (v: string) => setForm((f) => ({ ...f, [k]: v }));

  return (
    <form className="lbp-instructions" onSubmit={submit} data-testid="instructions" data-convert={convert ? "1" : "0"}>
      <label className="lbp-field lbp-field-full">
        <span>instructions</span>
        <textarea
          className="lbp-textarea"
          data-testid="instructions-text"
          rows={6}
          value={form.instructions}
          onChange={(e) => set("instructions")(e.target.value)}
          placeholder="In plain words, what this agent does with what it reads, and what it must never do."
        />
      </label>
      <div className="lbp-describe-row">
        <label className="lbp-field">
          <span>model</span>
          <ModelPicker
            models={models}
            value={form.model}
            onChange={set("model")}
            defaultLabel={models.length === 0 ? "(no llm capability in this army)" : null}
            testId="instructions-model"
          />
        </label>
        <label className="lbp-field">
          <span>mode</span>
          <select className="lbp-select" data-testid="instructions-mode" value={form.mode} onChange={(e) => set("mode")(e.target.value)}>
            <option value="plan">plan</option>
            <option value="per-call">per-call</option>
          </select>
        </label>
        <label className="lbp-field lbp-field-narrow">
          <span>attempts</span>
          <input
            type="number"
            min={1}
            data-testid="instructions-attempts"
            value={form.attempts}
            onChange={(e) => set("attempts")(e.target.value)}
            aria-invalid={!attemptsOk}
          />
        </label>
      </div>
      <p className="lbp-muted lbp-small">{MODE_DOC[form.mode] ?? ""}</p>
      {(changed || convert) && (
        <div className="lbp-settings-actions">
          <button type="submit" className="lbp-button lbp-primary" data-testid="instructions-save" disabled={!canSave}>
            {busy ? "Saving…" : convert ? "Switch to instructions" : "Save instructions"}
          </button>
          {changed && (
            <button type="button" className="lbp-button lbp-ghost" onClick={() => setForm(initial())}>
              Reset
            </button>
          )}
          {convert && <span className="lbp-muted lbp-small">the agent's code is dropped: the model writes it</span>}
        </div>
      )}
      <ErrorLine error={error} testId="instructions-error" />
      {!convert && agent.mode === "plan" && <CachedPlanView api={api} agent={agent} runsVersion={runsVersion} />}
    </form>
  );
}
