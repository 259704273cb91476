// ModelPicker: a select of the army's llm capabilities (the models an agent
// may have write its code). "" stands for the default the Go side picks.

/** A select over models; defaultLabel names what "" means (left out when null). */
export function ModelPicker({
  models,
  value,
  onChange,
  defaultLabel,
  testId,
  label = "model",
}: {
  models: readonly string[];
  value: string;
  onChange: (v: string) => void;
  defaultLabel: string | null;
  testId: string;
  label?: string;
}) {
  // A model the agent names that is no longer an llm capability still shows.
  const names = value && !models.includes(value) ? [value, ...models] : [...models];
  return (
    <select className="lbp-select" aria-label={label} data-testid={testId} value={value} onChange={(e) => onChange(e.target.value)}>
      {defaultLabel !== null && <option value="">{defaultLabel}</option>}
      {names.map((m) => (
        <option key={m} value={m}>
          {m}
          {models.includes(m) ? "" : " (not an llm capability)"}
        </option>
      ))}
    </select>
  );
}
