// SecretsPanel: the names of the secrets in the OS keyring; add, replace and
// delete. A value goes one way: from the password field to the keyring. It is
// never kept in React state, never rendered, and the field is emptied the
// moment it is read.

import { type FormEvent, useCallback, useEffect, useRef, useState } from "react";
import type { Api } from "../../lib/api";
import { ErrorLine } from "./parts";
import { SecretInputs, takeSecret } from "./SecretInputs";
import { errorText } from "../../lib/transport";

export interface SecretsPanelProps {
  api: Api;
}

export function SecretsPanel({ api }: SecretsPanelProps) {
  const [names, setNames] = useState<string[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const valueField = useRef<HTMLInputElement>(null);

  const load = useCallback(async () => {
    try {
      const n = await api.Secrets();
      setNames(Array.isArray(n) ? [...n].sort() : []);
      setLoadError(null);
    } catch (err) {
      setLoadError(errorText(err));
    }
  }, [api]);
  useEffect(() => {
    void load();
  }, [load]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const s = takeSecret(name, valueField.current);
    if (busy) return;
    if (s.error !== undefined) {
      setError(s.error);
      setNotice(null);
      return;
    }
    const replacing = names?.includes(s.name) ?? false;
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await api.SetSecret(s.name, s.value);
      setName("");
      setNotice(`${replacing ? "Replaced" : "Saved"} “${s.name}” in the keyring.`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
      await load();
    }
  };

  const remove = async (n: string) => {
    setDeleting(n);
    setError(null);
    setNotice(null);
    try {
      await api.DeleteSecret(n);
      setNotice(`Deleted “${n}”.`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setDeleting(null);
      setConfirming(null);
      await load();
    }
  };

  return (
    <section className="lbp-panel lbp-secrets" data-testid="secrets-panel" aria-label="Secrets">
      <header className="lbp-head">
        <div className="lbp-title">
          <span className="lbp-eyebrow">OS keyring</span>
          <h2>
            Secrets {names && <span className="lbp-count">{names.length}</span>}
          </h2>
        </div>
      </header>
      <div className="lbp-body">
        <p className="lbp-note" data-testid="secrets-note">
          Values go into the OS keyring and <b>cannot be read back</b> — not by this window, not by agents. Only a
          capability's Go code uses them, at the moment of a call. To change one, replace it.
        </p>
        <ErrorLine error={loadError} testId="secrets-load-error" />
        {names === null ? (
          !loadError && <p className="lbp-muted">Loading…</p>
        ) : names.length === 0 ? (
          <p className="lbp-empty" data-testid="secrets-empty">
            No secrets yet.
          </p>
        ) : (
          <ul className="lbp-secret-list">
            {names.map((n) => (
              <li key={n} data-testid={`secret-${n}`}>
                <span className="lbp-mono">{n}</span>
                <span className="lbp-masked" aria-label="value hidden">
                  ••••••••
                </span>
                <span className="lbp-spacer" />
                {confirming === n ? (
                  <>
                    <span className="lbp-small lbp-warn-text">Delete “{n}”? Capabilities using it will fail.</span>
                    <button
                      type="button"
                      className="lbp-button lbp-deny"
                      data-testid={`secret-delete-confirm-${n}`}
                      disabled={deleting === n}
                      onClick={() => void remove(n)}
                    >
                      {deleting === n ? "Deleting…" : "Delete"}
                    </button>
                    <button type="button" className="lbp-button lbp-ghost" onClick={() => setConfirming(null)} disabled={deleting === n}>
                      Keep
                    </button>
                  </>
                ) : (
                  <>
                    <button
                      type="button"
                      className="lbp-button lbp-ghost"
                      data-testid={`secret-replace-${n}`}
                      onClick={() => {
                        setName(n);
                        valueField.current?.focus();
                      }}
                    >
                      Replace…
                    </button>
                    <button
                      type="button"
                      className="lbp-button lbp-ghost"
                      data-testid={`secret-delete-${n}`}
                      onClick={() => setConfirming(n)}
                    >
                      Delete
                    </button>
                  </>
                )}
              </li>
            ))}
          </ul>
        )}

        <form className="lbp-secret-form" onSubmit={submit} autoComplete="off">
          <h3 className="lbp-section-title">{names?.includes(name.trim()) ? "Replace a secret" : "Add a secret"}</h3>
          <div className="lbp-row">
            <SecretInputs
              name={name}
              onName={setName}
              valueRef={valueField}
              labels={{ name: "secret name", value: "secret value" }}
              namePlaceholder="name, e.g. openai_key"
            />
            <button type="submit" className="lbp-button lbp-primary" data-testid="secret-save" disabled={busy}>
              {busy ? "Saving…" : names?.includes(name.trim()) ? "Replace" : "Save"}
            </button>
          </div>
          <ErrorLine error={error} testId="secret-error" />
          {notice && (
            <p className="lbp-ok-text lbp-small" role="status" data-testid="secret-notice">
              {notice}
            </p>
          )}
        </form>
      </div>
    </section>
  );
}
