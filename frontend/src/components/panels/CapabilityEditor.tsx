// CapabilityEditor: a form generated from a capability kind's props schema,
// its secret slots (pick a secret by name, or write a new one to the keyring),
// and the declaration an agent sees (PropInput and SecretSlot: one file each).

import { type FormEvent, useCallback, useEffect, useState } from "react";
import type { Api, CapabilityView, KindInfo, Workspace } from "../../lib/api";
import { errorText } from "../../lib/transport";
import { ErrorLine, Glyph } from "./parts";
import { PropInput } from "./PropInput";
import { SecretSlot } from "./SecretSlot";
import { buildProps, type Draft, draftOf, draftsOf } from "./util";

export interface CapabilityEditorProps {
  api: Api;
  capability: CapabilityView;
  /** The capability's kind; undefined when the kind is not registered. */
  kind: KindInfo | undefined;
  onWorkspace: (ws: Workspace) => void;
  onClose: () => void;
  /** Called with the new name after a rename was saved, so the parent can follow the capability. */
  onRenamed?: (name: string) => void;
}

export function CapabilityEditor({ api, capability, kind, onWorkspace, onClose, onRenamed }: CapabilityEditorProps) {
  const fields = kind?.props ?? [];
  const [name, setName] = useState(capability.name);
  const [drafts, setDrafts] = useState<Record<string, Draft>>(() => draftsOf(fields, capability.props));
  const [secrets, setSecrets] = useState<Record<string, string>>(capability.secrets ?? {});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [touched, setTouched] = useState(false);

  // New props from the Go side (another save, a reload) reset the form.
  const key = JSON.stringify([capability.name, capability.props, capability.secrets, kind?.id, fields]);
  useEffect(() => {
    setName(capability.name);
    setDrafts(draftsOf(fields, capability.props));
    setSecrets(capability.secrets ?? {});
    setErrors({});
    setTouched(false);
  }, [key]);

  // The names of the secrets in the keyring (names only: values cannot be read back).
  const [names, setNames] = useState<string[]>([]);
  const [namesError, setNamesError] = useState<string | null>(null);
  const loadNames = useCallback(() => {
    api.Secrets().then(
      (n) => {
        setNames(Array.isArray(n) ? [...n].sort() : []);
        setNamesError(null);
      },
      (err) => setNamesError(errorText(err)),
    );
  }, [api]);
  useEffect(loadNames, [loadNames]);

  const setDraft = (field: string, d: Draft) => {
    setDrafts((prev) => ({ ...prev, [field]: d }));
    setErrors((prev) => {
      const { [field]: _, ...rest } = prev;
      return rest;
    });
    setTouched(true);
    setSaved(false);
  };
  const setSlot = (slot: string, secretName: string) => {
    setSecrets((prev) => {
      const next = { ...prev };
      if (secretName === "") delete next[slot];
      else next[slot] = secretName;
      return next;
    });
    setTouched(true);
    setSaved(false);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const built = buildProps(fields, drafts, capability.props ?? {});
    setErrors(built.errors);
    if (Object.keys(built.errors).length > 0) {
      setError("Some fields need fixing.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const ws = await api.UpdateCapability(capability.name, {
        name: name.trim(),
        kind: capability.kind,
        props: built.props,
        secrets,
        // Left out, the position keeps its value.
      });
      setSaved(true);
      setTouched(false);
      onWorkspace(ws);
      if (name.trim() !== capability.name) onRenamed?.(name.trim());
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const slots = kind?.secrets ?? [];
  // A dynamic kind's methods are its instance's (an MCP server's tools, an
  // OpenAPI document's operations); others are the kind's own.
  const methods = capability.methods?.length ? capability.methods : (kind?.methods ?? []);
  const changed = touched || name !== capability.name;

  return (
    <section className="lbp-panel lbp-capability-editor" data-testid="capability-editor" aria-label={`Capability ${capability.name}`}>
      <header className="lbp-head">
        <span className="lbp-icon lbp-icon-cap" aria-hidden="true">
          <Glyph name="capability" />
        </span>
        <div className="lbp-title">
          <span className="lbp-eyebrow">capability · {capability.kind}</span>
          <h2 data-testid="capability-title">{capability.name}</h2>
        </div>
        <span className="lbp-spacer" />
        <button type="button" className="lbp-icon-button" onClick={onClose} aria-label="close" data-testid="capability-close">
          ×
        </button>
      </header>

      <form className="lbp-body lbp-form" onSubmit={submit} noValidate>
        {kind ? (
          kind.doc && <p className="lbp-doc">{kind.doc}</p>
        ) : (
          <p className="lbp-error">
            The kind <code>{capability.kind}</code> is not registered in this build; its props can't be edited here.
          </p>
        )}

        <label className="lbp-field">
          <span>name</span>
          <input data-testid="capability-name" value={name} spellCheck={false} onChange={(e) => setName(e.target.value)} />
        </label>

        {fields.length > 0 && (
          <fieldset className="lbp-fieldset">
            <legend>props</legend>
            <p className="lbp-muted lbp-small">Settings the agent can neither see nor change.</p>
            {fields.map((f) => (
              <PropInput key={f.name} field={f} draft={drafts[f.name] ?? draftOf(f, undefined)} error={errors[f.name]} onChange={(d) => setDraft(f.name, d)} />
            ))}
          </fieldset>
        )}
        {kind && fields.length === 0 && <p className="lbp-muted lbp-small">This kind has no props.</p>}

        {slots.length > 0 && (
          <fieldset className="lbp-fieldset">
            <legend>secrets</legend>
            <p className="lbp-muted lbp-small">
              Kept in the OS keyring and used by the capability's Go code only: never shown, never given to the agent.
            </p>
            {slots.map((slot) => (
              <SecretSlot
                key={slot}
                api={api}
                slot={slot}
                value={secrets[slot] ?? ""}
                names={names}
                onPick={(n) => setSlot(slot, n)}
                onCreated={(n) => {
                  setNames((prev) => (prev.includes(n) ? prev : [...prev, n].sort()));
                  setSlot(slot, n);
                  loadNames();
                }}
              />
            ))}
            <ErrorLine error={namesError} />
          </fieldset>
        )}

        {kind && (
          <details className="lbp-declaration" data-testid="kind-declaration">
            <summary>What an agent bound to it sees</summary>
            {methods.length > 0 && (
              <ul className="lbp-methods" data-testid="capability-methods">
                {methods.map((m) => (
                  <li key={m.name} data-role={m.role}>
                    <code>{m.name}</code> <span className={`lbp-chip lbp-role-${m.role}`}>{m.role}</span>
                  </li>
                ))}
              </ul>
            )}
            <pre className="lbp-pre">{kind.declaration}</pre>
          </details>
        )}

        <ErrorLine error={error} testId="capability-error" />
        <div className="lbp-form-actions">
          <button type="submit" className="lbp-button lbp-primary" data-testid="capability-save" disabled={busy || !kind}>
            {busy ? "Saving…" : "Save"}
          </button>
          {changed && !busy && <span className="lbp-dirty">● unsaved</span>}
          {saved && !changed && <span className="lbp-ok-text lbp-small">saved</span>}
        </div>
      </form>
    </section>
  );
}
