import { useCallback, useMemo, useRef, useState } from "react";
import { CodeEditor, type CodeEditorHandle } from "./CodeEditor";
import { InputPanel } from "./InputPanel";
import { ResultPanel } from "./ResultPanel";
import { SidePanel } from "./SidePanel";
import type { Api } from "../lib/api";
import { EXAMPLE_INPUT, EXAMPLE_MODULE } from "../lib/example";
import { checkInputJSON } from "../lib/json";
import { type ExecError, type ExecResult, MODULE_FILENAME, execModule, failure } from "../lib/result";

/**
 * The playground's state and Run (app.API.Exec over api; null when there is
 * no backend), shared with the title bar's Run button.
 */
export function usePlayground(api: Api | null) {
  const [source, setSource] = useState(EXAMPLE_MODULE);
  const [input, setInput] = useState(EXAMPLE_INPUT);
  const [result, setResult] = useState<ExecResult | null>(null);
  const [running, setRunning] = useState(false);
  const inputCheck = useMemo(() => checkInputJSON(input), [input]);
  const run = useCallback(async () => {
    if (running) return;
    if (!inputCheck.ok) {
      setResult(failure("input", inputCheck.message, { line: inputCheck.line, column: inputCheck.column }));
      return;
    }
    setRunning(true);
    try {
      setResult(await execModule(api, source, input));
    } finally {
      setRunning(false);
    }
  }, [api, running, inputCheck, source, input]);
  return { source, setSource, input, setInput, result, running, inputCheck, run };
}

export type PlaygroundState = ReturnType<typeof usePlayground>;

/** One module, run once with an input: a scratchpad beside the army. */
export function Playground({ p }: { p: PlaygroundState }) {
  const moduleEditor = useRef<CodeEditorHandle>(null);
  const inputEditor = useRef<CodeEditorHandle>(null);
  const jump = useCallback((e: ExecError) => {
    if (!e.line) return;
    const editor = e.kind === "input" ? inputEditor : moduleEditor;
    editor.current?.focusAt(e.line, e.column ?? 1);
  }, []);
  const compileErrorLine = p.result?.error?.kind === "compile" ? p.result.error.line : undefined;
  return (
    <div className="playground">
      <SidePanel />
      <main className="editor-column">
        <section className="panel module-panel" aria-label="Agent module">
          <div className="panel-head">
            <h2>{MODULE_FILENAME}</h2>
            <span className="panel-hint">agent module · TypeScript or JavaScript</span>
          </div>
          <CodeEditor
            ref={moduleEditor}
            className="module-editor"
            label="Agent module source"
            value={p.source}
            onChange={p.setSource}
            onRun={p.run}
            errorLine={compileErrorLine}
          />
        </section>
      </main>
      <div className="side-column">
        <InputPanel value={p.input} onChange={p.setInput} onRun={p.run} check={p.inputCheck} editorRef={inputEditor} />
        <ResultPanel result={p.result} running={p.running} onJump={jump} />
      </div>
    </div>
  );
}
