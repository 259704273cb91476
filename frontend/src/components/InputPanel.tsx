import type { Ref } from "react";
import type { InputCheck } from "../lib/json";
import { CodeEditor, type CodeEditorHandle } from "./CodeEditor";

interface Props {
  value: string;
  onChange: (value: string) => void;
  onRun: () => void;
  check: InputCheck;
  editorRef?: Ref<CodeEditorHandle>;
}

/** The input box: the JSON passed to run(input, …), checked as you type. */
export function InputPanel({ value, onChange, onRun, check, editorRef }: Props) {
  return (
    <section className="panel input-panel" aria-label="Input">
      <div className="panel-head">
        <h2>Input</h2>
        <span className="panel-hint">JSON · the first argument of run</span>
      </div>
      <CodeEditor
        ref={editorRef}
        className="input-editor"
        label="Input JSON"
        value={value}
        onChange={onChange}
        onRun={onRun}
        errorLine={check.ok ? undefined : check.line}
      />
      <div className={check.ok ? "input-check ok" : "input-check bad"} role={check.ok ? undefined : "alert"}>
        {check.ok ? "valid JSON" : `line ${check.line}, column ${check.column}: ${check.message}`}
      </div>
    </section>
  );
}
