// The small dialog asking for the env name of a new binding or channel. The
// name is sent as typed: Go says whether it is an env name, and its refusal
// is shown here, the dialog staying open for another try.
//
// data-testid: env-prompt; env-prompt-input, env-prompt-ok, env-prompt-cancel,
// env-prompt-error.

import { useEffect, useRef, useState } from "react";
import type { ConnectIntent } from "./graph";

/** A connection drawn on the canvas, waiting for its env name. */
export type PendingConnection = Exclude<ConnectIntent, { kind: "invalid" }>;

export interface EnvPromptProps {
  pending: PendingConnection;
  /** Makes the binding or channel as env: null when done, else Go's refusal. */
  onOk(env: string): Promise<string | null>;
  onCancel(): void;
}

export function EnvPrompt({ pending, onOk, onCancel }: EnvPromptProps) {
  const [env, setEnv] = useState(pending.env);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);
  return (
    <div className="env-prompt-backdrop" onPointerDown={(e) => e.target === e.currentTarget && onCancel()}>
      <form
        className="env-prompt"
        data-testid="env-prompt"
        onSubmit={async (e) => {
          e.preventDefault();
          if (busy) return;
          setBusy(true);
          setError(null);
          const refused = await onOk(env);
          setBusy(false);
          if (refused !== null) setError(refused);
        }}
      >
        <h3>{pending.kind === "bind" ? "Bind a capability" : "Add a channel"}</h3>
        <p className="muted">
          {pending.kind === "bind" ? (
            <>
              <b>{pending.agent}</b> will call <b>{pending.capability}</b> as
            </>
          ) : (
            <>
              <b>{pending.from}</b> will send to <b>{pending.to}</b> (one way) as
            </>
          )}
        </p>
        <label className="env-field">
          <span>env.</span>
          <input
            ref={input}
            value={env}
            onChange={(e) => setEnv(e.target.value)}
            onKeyDown={(e) => e.key === "Escape" && onCancel()}
            data-testid="env-prompt-input"
            aria-label="env name"
            aria-invalid={error !== null}
            spellCheck={false}
          />
        </label>
        {error && (
          <p className="field-error" data-testid="env-prompt-error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-buttons">
          <button type="button" className="button" onClick={onCancel} data-testid="env-prompt-cancel">
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={busy || env === ""} data-testid="env-prompt-ok">
            {pending.kind === "bind" ? "Bind" : "Connect"}
          </button>
        </div>
      </form>
    </div>
  );
}
