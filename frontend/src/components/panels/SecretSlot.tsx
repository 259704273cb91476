// One secret slot of a capability: a secret picked by name, or a new one
// written to the keyring.
//
// data-testid: secret-slot-SLOT; inside it secret-pick-SLOT, secret-new-SLOT,
// secret-name, secret-value, secret-save.

import { useRef, useState } from "react";
import type { Api } from "../../lib/api";
import { errorText } from "../../lib/transport";
import { ErrorLine } from "./parts";
import { SecretInputs, takeSecret } from "./SecretInputs";

/**
 * One secret slot: pick a secret by name, or create one. The new value lives
 * only in the password field's DOM value (never in React state): it is read
 * and the field cleared in the same moment, before the call to SetSecret.
 */
export function SecretSlot({
  api,
  slot,
  value,
  names,
  onPick,
  onCreated,
}: {
  api: Api;
  slot: string;
  value: string;
  names: string[];
  onPick: (name: string) => void;
  onCreated: (name: string) => void;
}) {
  const [creating, setCreating] = useState(false);
  const [newName, setNewName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const valueField = useRef<HTMLInputElement>(null);
  const missing = value !== "" && !names.includes(value);

  const create = async () => {
    const s = takeSecret(newName, valueField.current);
    if (s.error !== undefined) {
      setError(s.error);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.SetSecret(s.name, s.value);
      setCreating(false);
      setNewName("");
      onCreated(s.name);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="lbp-field lbp-secret-slot" data-testid={`secret-slot-${slot}`}>
      <span className="lbp-field-name">
        {slot}
        <span className="lbp-type">secret</span>
      </span>
      <div className="lbp-row">
        <select
          data-testid={`secret-pick-${slot}`}
          aria-label={`secret for ${slot}`}
          value={value}
          onChange={(e) => onPick(e.target.value)}
        >
          <option value="">— none —</option>
          {missing && <option value={value}>{value} (not in the keyring)</option>}
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        {!creating && (
          <button
            type="button"
            className="lbp-button lbp-ghost"
            data-testid={`secret-new-${slot}`}
            onClick={() => {
              setCreating(true);
              setNewName(value || `${slot}`);
            }}
          >
            New secret…
          </button>
        )}
      </div>
      {missing && <span className="lbp-field-error">No secret named “{value}” in the keyring yet: create it, or pick another.</span>}
      {creating && (
        <div className="lbp-secret-create">
          <SecretInputs
            name={newName}
            onName={setNewName}
            valueRef={valueField}
            labels={{ name: "new secret's name", value: "new secret's value" }}
            namePlaceholder="name"
            onEnter={() => void create()}
          />
          <button type="button" className="lbp-button" data-testid="secret-save" disabled={busy} onClick={() => void create()}>
            {busy ? "Saving…" : "Save to keyring"}
          </button>
          <button
            type="button"
            className="lbp-button lbp-ghost"
            onClick={() => {
              if (valueField.current) valueField.current.value = "";
              setCreating(false);
              setError(null);
            }}
          >
            Cancel
          </button>
        </div>
      )}
      <ErrorLine error={error} />
    </div>
  );
}
