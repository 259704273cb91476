// An agent's name, doc and triggers, saved together with UpdateAgent. The
// name is sent as typed: Go refuses one that is not a name, and says why.
//
// data-testid: agent-settings, agent-name, agent-doc, agent-triggers,
// agent-settings-save, agent-settings-error.

import { type FormEvent, useEffect, useState } from "react";
import type { AgentView, Api, Workspace } from "../../lib/api";
import { errorText } from "../../lib/transport";
import { ChipsInput, ErrorLine } from "./parts";

const TRIGGER_SUGGESTIONS = ["manual", "message", "item", "every 1h", "every 15m", "every 24h"];

/** Name, doc and triggers, saved together with UpdateAgent. */
export function AgentSettings({
  api,
  agent,
  onWorkspace,
  onRenamed,
}: {
  api: Api;
  agent: AgentView;
  onWorkspace: (ws: Workspace) => void;
  onRenamed?: (name: string) => void;
}) {
  const [name, setName] = useState(agent.name);
  const [doc, setDoc] = useState(agent.doc);
  const [triggers, setTriggers] = useState<string[]>(agent.triggers);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify([agent.name, agent.doc, agent.triggers]);
  useEffect(() => {
    setName(agent.name);
    setDoc(agent.doc);
    setTriggers(agent.triggers);
    setError(null);
  }, [key]);

  const changed = name !== agent.name || doc !== agent.doc || JSON.stringify(triggers) !== JSON.stringify(agent.triggers);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!changed || busy) return;
    setBusy(true);
    setError(null);
    try {
      const ws = await api.UpdateAgent(agent.name, {
        name: name.trim(),
        doc,
        // The saved code, so a settings change never loses or inlines it; an
        // instructions agent has none (sending "" would make it a code agent).
        ...(agent.mode === "" ? { code: agent.code } : {}),
        triggers,
        // Left out, the template and the position keep their values.
      });
      onWorkspace(ws);
      if (name.trim() !== agent.name) onRenamed?.(name.trim());
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="lbp-settings" onSubmit={submit} data-testid="agent-settings">
      <label className="lbp-field">
        <span>name</span>
        <input data-testid="agent-name" value={name} onChange={(e) => setName(e.target.value)} spellCheck={false} />
      </label>
      <label className="lbp-field">
        <span>doc</span>
        <input data-testid="agent-doc" value={doc} onChange={(e) => setDoc(e.target.value)} placeholder="what this agent does" />
      </label>
      <div className="lbp-field lbp-field-full">
        <span>triggers</span>
        <ChipsInput
          values={triggers}
          onChange={setTriggers}
          suggestions={TRIGGER_SUGGESTIONS}
          placeholder="manual, message, every 1h…"
          testId="agent-triggers"
          label="add a trigger"
        />
      </div>
      {changed && (
        <div className="lbp-settings-actions">
          <button type="submit" className="lbp-button" data-testid="agent-settings-save" disabled={busy}>
            {busy ? "Applying…" : "Apply"}
          </button>
          <button
            type="button"
            className="lbp-button lbp-ghost"
            onClick={() => {
              setName(agent.name);
              setDoc(agent.doc);
              setTriggers(agent.triggers);
            }}
          >
            Reset
          </button>
          <span className="lbp-muted lbp-small">name, doc and triggers are saved with Apply</span>
        </div>
      )}
      <ErrorLine error={error} testId="agent-settings-error" />
    </form>
  );
}
