// The export dialog: the army file as YAML (ExportYAML), to copy or download.
//
// data-testid: export-dialog, export-text, export-download, export-dialog-close.

import { useEffect, useState } from "react";
import type { Api } from "../lib/api";
import { errorText } from "../lib/transport";
import { Modal } from "./Modal";

export function ExportDialog({ api, name, onClose }: { api: Api; name: string; onClose(): void }) {
  const [text, setText] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    api.ExportYAML().then(setText, (e) => setErr(errorText(e)));
  }, [api]);
  const download = () => {
    if (text === null) return;
    const url = URL.createObjectURL(new Blob([text], { type: "text/yaml" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `${name || "army"}.yaml`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <Modal testId="export-dialog" title={`Export ${name}`} onClose={onClose} wide>
      {err ? (
        <pre className="field-error">{err}</pre>
      ) : (
        <textarea className="yaml-text" data-testid="export-text" readOnly value={text ?? "…"} spellCheck={false} />
      )}
      <div className="dialog-row">
        <span className="muted small">The army file, as `littleboxes check` and `run` read it.</span>
        <span className="spacer" />
        <button
          type="button"
          className="button"
          disabled={text === null}
          onClick={() => {
            if (text !== null) void navigator.clipboard?.writeText(text).then(() => setCopied(true));
          }}
        >
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" className="button primary" data-testid="export-download" disabled={text === null} onClick={download}>
          Download {name || "army"}.yaml
        </button>
      </div>
    </Modal>
  );
}
