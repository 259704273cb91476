// A secret's name and value inputs. The value lives only in the password
// field's DOM value (never in React state): its owner reads it through
// valueRef and clears the field in the same moment, before the call to
// SetSecret.
//
// data-testid: secret-name, secret-value (scope them by the panel holding them).

import type { RefObject } from "react";

export interface SecretInputsProps {
  name: string;
  onName(name: string): void;
  valueRef: RefObject<HTMLInputElement | null>;
  /** How the fields are named for assistive technology: "secret" or "new secret's". */
  labels: { name: string; value: string };
  namePlaceholder: string;
  /** Enter in the value field (a form submits by itself: leave it out there). */
  onEnter?(): void;
}

export function SecretInputs({ name, onName, valueRef, labels, namePlaceholder, onEnter }: SecretInputsProps) {
  return (
    <>
      <input
        data-testid="secret-name"
        aria-label={labels.name}
        placeholder={namePlaceholder}
        value={name}
        spellCheck={false}
        autoComplete="off"
        onChange={(e) => onName(e.target.value)}
      />
      <input
        ref={valueRef}
        type="password"
        data-testid="secret-value"
        aria-label={labels.value}
        placeholder="value"
        autoComplete="new-password"
        spellCheck={false}
        onKeyDown={
          onEnter &&
          ((e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              onEnter();
            }
          })
        }
      />
    </>
  );
}

/**
 * Takes a new secret from its inputs: empties the password field and returns
 * its value with the trimmed name, or the message to show when either is
 * missing. The field is emptied whatever follows, and an error carries no
 * value.
 */
export function takeSecret(
  name: string,
  field: HTMLInputElement | null,
): { name: string; value: string; error?: undefined } | { error: string } {
  const value = field?.value ?? "";
  if (field) field.value = "";
  const n = name.trim();
  if (n === "" || value === "") return { error: n === "" ? "Name the secret." : "Type the secret's value." };
  return { name: n, value };
}
