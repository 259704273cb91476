// One prop's input in the capability editor, by the prop's type: a checkbox,
// a number or text field, a JSON textarea, or chips for an array.
//
// data-testid: prop-NAME (prop-NAME-input, prop-NAME-remove-I for an array),
// prop-NAME-error.

import type { PropField } from "../../lib/api";
import { ChipsInput } from "./parts";
import type { Draft } from "./util";

/** One prop's input, by its type. */
export function PropInput({ field, draft, error, onChange }: { field: PropField; draft: Draft; error?: string; onChange: (d: Draft) => void }) {
  const id = `prop-${field.name}`;
  const label = (
    <span className="lbp-field-name">
      {field.name}
      {field.required && (
        <abbr className="lbp-required" title="required">
          *
        </abbr>
      )}
      <span className="lbp-type">
        {field.type}
        {field.type === "array" && field.items ? ` of ${field.items}` : ""}
      </span>
    </span>
  );
  const help = field.doc ? <span className="lbp-help">{field.doc}</span> : null;
  const err = error ? (
    <span className="lbp-field-error" data-testid={`${id}-error`}>
      {error}
    </span>
  ) : null;

  if (field.type === "boolean") {
    return (
      <div className="lbp-field lbp-field-check">
        <label>
          <input type="checkbox" data-testid={id} checked={draft === true} onChange={(e) => onChange(e.target.checked)} />
          {label}
        </label>
        {help}
        {err}
      </div>
    );
  }
  if (field.type === "array") {
    return (
      <div className="lbp-field">
        {label}
        <ChipsInput
          values={Array.isArray(draft) ? draft : []}
          onChange={onChange}
          testId={id}
          label={`add to ${field.name}`}
          placeholder="type an item and press Enter"
          invalid={!!error}
        />
        {help}
        {err}
      </div>
    );
  }
  if (field.type === "object") {
    const text = typeof draft === "string" ? draft : "";
    return (
      <label className="lbp-field">
        {label}
        <textarea
          className={`lbp-textarea lbp-mono ${error ? "lbp-invalid" : ""}`}
          data-testid={id}
          spellCheck={false}
          rows={Math.min(12, Math.max(3, text.split("\n").length))}
          value={text}
          placeholder="{ }"
          aria-invalid={!!error}
          onChange={(e) => onChange(e.target.value)}
        />
        {help}
        {err}
      </label>
    );
  }
  const numeric = field.type === "number" || field.type === "integer";
  return (
    <label className="lbp-field">
      {label}
      <input
        data-testid={id}
        className={error ? "lbp-invalid" : ""}
        inputMode={numeric ? (field.type === "integer" ? "numeric" : "decimal") : undefined}
        spellCheck={false}
        required={field.required}
        aria-invalid={!!error}
        value={typeof draft === "string" ? draft : ""}
        onChange={(e) => onChange(e.target.value)}
      />
      {help}
      {err}
    </label>
  );
}
