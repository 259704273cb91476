import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { CodeEditor, type CodeEditorHandle } from "./components/CodeEditor";
import { InputPanel } from "./components/InputPanel";
import { ResultPanel } from "./components/ResultPanel";
import { SidePanel } from "./components/SidePanel";
import { ArmyScreen } from "./components/ArmyScreen";
import { TitleBar, type View } from "./components/TitleBar";
import { type ArmyView, fetchArmy } from "./lib/army";
import { type Connection, execModule, fetchVersion, waitForBackend } from "./lib/backend";
import { EXAMPLE_INPUT, EXAMPLE_MODULE } from "./lib/example";
import { checkInputJSON } from "./lib/json";
import { type ExecError, type ExecResult, MODULE_FILENAME, failure } from "./lib/result";

interface Props {
  /** The screen shown first: the army, unless a test asks otherwise. */
  initialView?: View;
}

export function App({ initialView = "army" }: Props) {
  const [view, setView] = useState<View>(initialView);
  const [army, setArmy] = useState<ArmyView | null>(null);
  const [source, setSource] = useState(EXAMPLE_MODULE);
  const [input, setInput] = useState(EXAMPLE_INPUT);
  const [result, setResult] = useState<ExecResult | null>(null);
  const [running, setRunning] = useState(false);
  const [connection, setConnection] = useState<Connection>("checking");
  const [version, setVersion] = useState<string | null>(null);
  const moduleEditor = useRef<CodeEditorHandle>(null);
  const inputEditor = useRef<CodeEditorHandle>(null);
  const inputCheck = useMemo(() => checkInputJSON(input), [input]);

  useEffect(() => {
    let live = true;
    void (async () => {
      const ok = await waitForBackend();
      if (!live) return;
      setConnection(ok ? "connected" : "disconnected");
      if (ok) {
        const v = await fetchVersion();
        if (live) setVersion(v);
      }
      const a = await fetchArmy(); // "not connected" without a backend
      if (live) setArmy(a);
    })();
    return () => {
      live = false;
    };
  }, []);

  const run = useCallback(async () => {
    if (running) return;
    if (!inputCheck.ok) {
      setResult(
        failure("input", inputCheck.message, { line: inputCheck.line, column: inputCheck.column }),
      );
      return;
    }
    setRunning(true);
    try {
      setResult(await execModule(source, input));
    } finally {
      setRunning(false);
    }
  }, [running, inputCheck, source, input]);

  const jump = useCallback((e: ExecError) => {
    if (!e.line) return;
    const editor = e.kind === "input" ? inputEditor : moduleEditor;
    editor.current?.focusAt(e.line, e.column ?? 1);
  }, []);

  const compileErrorLine = result?.error?.kind === "compile" ? result.error.line : undefined;

  return (
    <div className="app">
      <TitleBar
        view={view}
        onView={setView}
        version={version}
        connection={connection}
        running={running}
        onRun={run}
      />
      {view === "army" ? (
        <ArmyScreen army={army} />
      ) : (
        <>
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
                value={source}
                onChange={setSource}
                onRun={run}
                errorLine={compileErrorLine}
              />
            </section>
          </main>
          <div className="side-column">
            <InputPanel value={input} onChange={setInput} onRun={run} check={inputCheck} editorRef={inputEditor} />
            <ResultPanel result={result} running={running} onJump={jump} />
          </div>
        </>
      )}
    </div>
  );
}
