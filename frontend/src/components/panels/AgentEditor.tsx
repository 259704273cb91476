// AgentEditor: an agent's code (CodeMirror, TypeScript), its generated env
// declaration beside it, compile errors at their lines, its settings, and a
// Run box (AgentSettings, Instances, RunBox, CheckStatus: one file each); a
// Describe box (a model writes the code, shown as a diff to accept). An
// instructions agent shows its instructions, model, mode and cached plan
// (InstructionsEditor) instead of a code editor. Everything it knows comes
// from the Go API.

import { type KeyboardEvent, useEffect, useMemo, useRef, useState } from "react";
import type { AgentView, Api, Diagnostic, KindInfo, Workspace } from "../../lib/api";
import { errorText } from "../../lib/transport";
import { AgentSettings } from "./AgentSettings";
import { CheckStatus } from "./CheckStatus";
import { CodeView, type CodeViewHandle } from "./CodeView";
import { DescribeBox } from "./DescribeBox";
import { InstructionsEditor } from "./InstructionsEditor";
import { Instances } from "./Instances";
import { ErrorLine, Glyph, Principals } from "./parts";
import { RunBox } from "./RunBox";
import { placeDiagnostics } from "./util";

export interface AgentEditorProps {
  api: Api;
  agent: AgentView;
  kinds: KindInfo[];
  /** The army's llm capabilities (the models that may write an agent's code). */
  models?: readonly string[];
  /** Changes when a run ends: an instructions agent's cached plan is read again. */
  runsVersion?: number;
  onWorkspace: (ws: Workspace) => void;
  onClose: () => void;
  /** Called with the new name after a rename was saved, so the parent can follow the agent. */
  onRenamed?: (name: string) => void;
  /** Opens the approvals inbox (offered when a run held an effect). */
  onOpenApprovals?: () => void;
}

/** How long typing must pause before the code is compiled. */
export const CHECK_DELAY_MS = 300;

const NO_MODELS: readonly string[] = [];

export function AgentEditor({ api, agent, kinds, models = NO_MODELS, runsVersion, onWorkspace, onClose, onRenamed, onOpenApprovals }: AgentEditorProps) {
  const [code, setCode] = useState(agent.code);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [savedAt, setSavedAt] = useState<number | null>(null);
  const editor = useRef<CodeViewHandle>(null);
  // In a narrow panel the code and the env declaration are tabs; side by side otherwise.
  const [pane, setPane] = useState<"code" | "env">("code");

  // A new agent, or new code from the Go side while nothing is unsaved, resets the editor.
  const base = useRef(agent.code);
  const shownName = useRef(agent.name);
  useEffect(() => {
    if (shownName.current !== agent.name || code === base.current) setCode(agent.code);
    base.current = agent.code;
    shownName.current = agent.name;
  }, [agent.name, agent.code]);
  const dirty = code !== agent.code;
  // An instructions agent has no code of its own: a model writes it.
  const instructed = agent.mode !== "";
  const accepted = (c: string) => {
    base.current = c;
    setCode(c);
    setSavedAt(Date.now());
  };

  // Compile errors, checked CHECK_DELAY_MS after typing stops; stale answers are dropped.
  const [diags, setDiags] = useState<Diagnostic[]>([]);
  const [checkError, setCheckError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);
  const checkSeq = useRef(0);
  useEffect(() => {
    const seq = ++checkSeq.current;
    setChecking(true);
    const timer = setTimeout(() => {
      api.CheckCode(code).then(
        (d) => {
          if (seq !== checkSeq.current) return;
          setDiags(Array.isArray(d) ? d : []);
          setCheckError(null);
          setChecking(false);
        },
        (err) => {
          if (seq !== checkSeq.current) return;
          setCheckError(errorText(err));
          setChecking(false);
        },
      );
    }, CHECK_DELAY_MS);
    return () => clearTimeout(timer);
  }, [api, code]);
  const placed = useMemo(() => placeDiagnostics(code, diags), [code, diags]);

  // The env declaration, reloaded with every new view of the agent (its
  // bindings or channels may have changed); the old text stays until then.
  const [env, setEnv] = useState<string>("");
  const [envError, setEnvError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.AgentEnv(agent.name).then(
      (d) => live && (setEnv(typeof d === "string" ? d : ""), setEnvError(null)),
      (err) => live && setEnvError(errorText(err)),
    );
    return () => {
      live = false;
    };
  }, [api, agent]);

  const inFlight = useRef(false);
  const save = async (): Promise<boolean> => {
    if (inFlight.current) return false;
    inFlight.current = true;
    setSaving(true);
    setSaveError(null);
    try {
      const ws = await api.SetAgentCode(agent.name, code);
      base.current = code;
      setSavedAt(Date.now());
      onWorkspace(ws);
      return true;
    } catch (err) {
      setSaveError(errorText(err));
      return false;
    } finally {
      inFlight.current = false;
      setSaving(false);
    }
  };
  const saveRef = useRef(save);
  saveRef.current = save;

  // Ctrl/Cmd+S anywhere in the panel; inside the editor CodeMirror's keymap has handled it already.
  const onKeyDown = (e: KeyboardEvent<HTMLElement>) => {
    if (e.nativeEvent.defaultPrevented) return;
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "s") {
      e.preventDefault();
      void saveRef.current();
    }
  };

  const bindingKinds = new Map(kinds.map((k) => [k.id, k]));

  return (
    <section className="lbp-panel lbp-agent-editor" data-testid="agent-editor" aria-label={`Agent ${agent.name}`} onKeyDown={onKeyDown}>
      <header className="lbp-head">
        <span className={agent.template ? "lbp-icon lbp-icon-template" : "lbp-icon"} aria-hidden="true">
          <Glyph name={agent.template ? "template" : "agent"} />
        </span>
        <div className="lbp-title">
          <span className="lbp-eyebrow">
            {agent.template ? "agent template" : "agent"}
            {instructed && ` · instructions · ${agent.mode}${agent.model ? ` · ${agent.model}` : ""}`}
          </span>
          <h2 data-testid="agent-title">
            {agent.name}
            {!agent.template && agent.state && agent.state !== "idle" && (
              <span className={`lbp-state lbp-state-${agent.state}`} data-testid="agent-state">
                {agent.state}
              </span>
            )}
          </h2>
        </div>
        <div className="lbp-head-label" title="who may know what this agent may have read">
          <span className="lbp-muted">label</span> <Principals names={agent.label} />
        </div>
        <button type="button" className="lbp-icon-button" onClick={onClose} aria-label="close" data-testid="agent-close">
          ×
        </button>
      </header>

      <div className="lbp-body">
        <AgentSettings api={api} agent={agent} onWorkspace={onWorkspace} onRenamed={onRenamed} />

        {agent.template && <Instances agent={agent} />}

        {instructed && <InstructionsEditor api={api} agent={agent} models={models} runsVersion={runsVersion} onWorkspace={onWorkspace} />}

        <div className="lbp-pane-tabs" role="tablist" aria-label="code or env" hidden={instructed}>
          {(["code", "env"] as const).map((p) => (
            <button
              key={p}
              type="button"
              role="tab"
              aria-selected={pane === p}
              className={pane === p ? "lbp-pane-tab lbp-active" : "lbp-pane-tab"}
              onClick={() => setPane(p)}
              data-testid={`agent-tab-${p}`}
            >
              {p}
              {p === "code" && dirty ? " ●" : ""}
            </button>
          ))}
        </div>
        <div className={instructed ? "lbp-split lbp-split-env" : "lbp-split"} data-pane={instructed ? "env" : pane}>
          {!instructed && (
            <div className="lbp-pane lbp-pane-code">
              <div className="lbp-pane-head">
                <h3>{agent.codePath || "agent.ts"}</h3>
                {dirty ? (
                  <span className="lbp-dirty" data-testid="agent-dirty">
                    ● unsaved
                  </span>
                ) : savedAt ? (
                  <span className="lbp-muted lbp-small">saved</span>
                ) : null}
                <span className="lbp-spacer" />
                <CheckStatus checking={checking} count={placed.length} error={checkError} />
                <button
                  type="button"
                  className="lbp-button lbp-primary"
                  data-testid="agent-save"
                  disabled={saving || !dirty}
                  onClick={() => void save()}
                  title="Save (Ctrl+S / ⌘S)"
                >
                  {saving ? "Saving…" : "Save"}
                </button>
              </div>
              <CodeView
                ref={editor}
                value={code}
                onChange={setCode}
                onSave={() => void saveRef.current()}
                diagnostics={placed}
                label={`code of ${agent.name}`}
                testId="agent-code"
                className="lbp-code-main"
              />
              <ErrorLine error={saveError} testId="agent-save-error" />
              {placed.length > 0 && (
                <ol className="lbp-diagnostics" data-testid="agent-diagnostics">
                  {placed.map((d, i) => (
                    <li key={i} className={`lbp-diagnostic lbp-sev-${d.severity}`} data-testid="agent-diagnostic">
                      <button type="button" className="lbp-location" onClick={() => {
                          setPane("code");
                          editor.current?.focusAt(d.line, d.column);
                        }}>
                        {d.line}:{d.column}
                      </button>
                      <span>{d.message}</span>
                    </li>
                  ))}
                </ol>
              )}
            </div>
          )}

          <div className="lbp-pane lbp-pane-env">
            <div className="lbp-pane-head">
              <h3>env</h3>
              <span className="lbp-muted lbp-small">what this agent sees · read-only</span>
            </div>
            <CodeView value={env} readOnly label={`env declaration of ${agent.name}`} testId="agent-env" className="lbp-code-env" />
            <ErrorLine error={envError} />
            {agent.bindings.length > 0 && (
              <ul className="lbp-bindings" data-testid="agent-bindings">
                {agent.bindings.map((b) => (
                  <li key={b.env} title={b.why || bindingKinds.get(b.kind)?.doc}>
                    <code>env.{b.env}</code>
                    <span className="lbp-muted">→ {b.capability}</span>
                    <span className="lbp-chip lbp-chip-kind">{b.role}</span>
                    {b.verdict && (
                      <span className={`lbp-verdict lbp-verdict-${b.verdict}`}>{b.verdict === "safe" ? "✓ safe" : "⚠ approval"}</span>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </div>
        </div>

        <DescribeBox api={api} agent={agent} models={models} onWorkspace={onWorkspace} onAccepted={accepted} />

        {!instructed && (
          <details className="lbp-to-instructions" data-testid="to-instructions">
            <summary>Let a model write this agent from instructions instead</summary>
            <InstructionsEditor api={api} agent={agent} models={models} onWorkspace={onWorkspace} convert />
          </details>
        )}

        <RunBox api={api} agent={agent} dirty={dirty} save={() => saveRef.current()} onOpenApprovals={onOpenApprovals} />
      </div>
    </section>
  );
}
