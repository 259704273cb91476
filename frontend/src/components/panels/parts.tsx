// Small pieces shared by the panels.

import { type KeyboardEvent, useState } from "react";
import { splitItems } from "./util";

/** A list of principals (a label or an audience) as chips. */
export function Principals({ names, empty = "nobody" }: { names: readonly string[] | undefined; empty?: string }) {
  if (!names || names.length === 0) return <span className="lbp-chip lbp-chip-none">{empty}</span>;
  return (
    <span className="lbp-chips">
      {names.map((n) => (
        <span key={n} className={n === "owner" ? "lbp-chip lbp-chip-owner" : "lbp-chip"}>
          {n}
        </span>
      ))}
    </span>
  );
}

/** An error from the Go side, shown where it happened. */
export function ErrorLine({ error, testId }: { error: string | null | undefined; testId?: string }) {
  if (!error) return null;
  return (
    <p className="lbp-error" role="alert" data-testid={testId}>
      {error}
    </p>
  );
}

interface ChipsInputProps {
  values: readonly string[];
  onChange: (values: string[]) => void;
  placeholder?: string;
  /** Items offered in the input's list. */
  suggestions?: readonly string[];
  testId: string;
  label: string;
  invalid?: boolean;
}

/**
 * An editable list of strings as chips: type and press Enter (or leave the
 * field) to add one item; paste several lines to add one per line; × removes.
 */
export function ChipsInput({ values, onChange, placeholder, suggestions, testId, label, invalid }: ChipsInputProps) {
  const [text, setText] = useState("");
  const listId = suggestions && suggestions.length > 0 ? `${testId}-suggestions` : undefined;

  const commit = () => {
    const items = splitItems(text);
    if (items.length > 0) onChange([...values, ...items]);
    setText("");
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter") {
      e.preventDefault();
      commit();
    } else if (e.key === "Backspace" && text === "" && values.length > 0) {
      onChange(values.slice(0, -1));
    }
  };

  return (
    <div className={`lbp-chips-input ${invalid ? "lbp-invalid" : ""}`} data-testid={testId}>
      {values.map((v, i) => (
        <span key={`${i}:${v}`} className="lbp-chip lbp-chip-edit">
          <span className="lbp-chip-text">{v}</span>
          <button
            type="button"
            className="lbp-chip-x"
            aria-label={`remove ${v}`}
            data-testid={`${testId}-remove-${i}`}
            onClick={() => onChange(values.filter((_, j) => j !== i))}
          >
            ×
          </button>
        </span>
      ))}
      <input
        aria-label={label}
        data-testid={`${testId}-input`}
        value={text}
        placeholder={values.length === 0 ? placeholder : "add…"}
        list={listId}
        onChange={(e) => {
          const v = e.target.value;
          // A paste of several lines adds them at once.
          if (v.includes("\n")) {
            onChange([...values, ...splitItems(v)]);
            setText("");
          } else setText(v);
        }}
        onKeyDown={onKeyDown}
        onBlur={commit}
      />
      {listId && (
        <datalist id={listId}>
          {suggestions!.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
      )}
    </div>
  );
}

const ICON_PATHS: Record<string, string> = {
  agent: "M4 3h8a1 1 0 0 1 1 1v8a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1z",
  template: "M5 2h8a1 1 0 0 1 1 1v8M3.5 4.5h7a1 1 0 0 1 1 1v7a1 1 0 0 1-1 1h-7a1 1 0 0 1-1-1v-7a1 1 0 0 1 1-1z",
  capability: "M8 1.8l5.4 3.1v6.2L8 14.2l-5.4-3.1V4.9z",
  pause: "M6 4v8M10 4v8",
};

/** A small stroked icon drawn inline (no icon font: some systems lack the glyphs). */
export function Glyph({ name, size = 14 }: { name: keyof typeof ICON_PATHS; size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth={1.6} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <path d={ICON_PATHS[name]} />
    </svg>
  );
}
