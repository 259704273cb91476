// The import dialog: an army file pasted or chosen (ImportYAML), or a
// built-in example (OpenExample). Go's refusal shows in the dialog.
//
// data-testid: import-dialog, import-text, import-file, import-ok,
// import-cancel, import-error, example-NAME, local-model.

import { useEffect, useState } from "react";
import type { Api, Workspace } from "../lib/api";
import { errorText } from "../lib/transport";
import { Modal } from "./Modal";

export function ImportDialog({ api, onClose, onWorkspace }: { api: Api; onClose(): void; onWorkspace(ws: Workspace): void }) {
  const [text, setText] = useState("");
  const [examples, setExamples] = useState<string[]>([]);
  // A model server answering on this machine: the inbox-ai example needs one.
  const [localModel, setLocalModel] = useState("");
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.Examples().then(
      (e) => setExamples(Array.isArray(e) ? e : []),
      () => setExamples([]),
    );
    api.LocalModel().then(
      (u) => setLocalModel(typeof u === "string" ? u : ""),
      () => setLocalModel(""),
    );
  }, [api]);
  const run = async (what: Promise<Workspace>) => {
    setBusy(true);
    setErr(null);
    try {
      onWorkspace(await what);
    } catch (e) {
      setErr(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal testId="import-dialog" title="Import an army" onClose={onClose} wide>
      <p className="muted small">Paste an army file (YAML) or choose one. It replaces the open army; export first to keep it.</p>
      <textarea
        className="yaml-text"
        data-testid="import-text"
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder={"name: my-army\nagents:\n  hello:\n    triggers: [manual]\n    code: |\n      export default { async run() { return 'hi' } }"}
        spellCheck={false}
      />
      <div className="dialog-row">
        <label className="file-button">
          Choose a file…
          <input
            type="file"
            accept=".yaml,.yml,text/yaml"
            data-testid="import-file"
            onChange={async (e) => {
              const f = e.target.files?.[0];
              if (f) setText(await f.text());
            }}
          />
        </label>
        <span className="spacer" />
        <button type="button" className="button" data-testid="import-cancel" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="button primary" data-testid="import-ok" disabled={busy || text.trim() === ""} onClick={() => void run(api.ImportYAML(text))}>
          Import
        </button>
      </div>
      {err && (
        <pre className="field-error" data-testid="import-error">
          {err}
        </pre>
      )}
      {examples.length > 0 && (
        <div className="examples">
          <h3>Or open an example</h3>
          {examples.includes("inbox-ai") && (
            <p className="muted small" data-testid="local-model">
              {localModel
                ? `A model answers at ${localModel}: inbox-ai's agents can have their code written by it.`
                : "inbox-ai needs a local model: start Ollama (127.0.0.1:11434) or another OpenAI-compatible server, or point its model capability elsewhere."}
            </p>
          )}
          <div className="example-list">
            {examples.map((n) => (
              <button
                key={n}
                type="button"
                className={n === "inbox-ai" && localModel ? "button primary" : "button"}
                data-testid={`example-${n}`} disabled={busy} onClick={() => void run(api.OpenExample(n))}>
                {n}
              </button>
            ))}
          </div>
        </div>
      )}
    </Modal>
  );
}
