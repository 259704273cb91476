// The window: the title bar, the army canvas with its palette, the editor of
// the selected node, the runs dock, the approvals inbox, the secrets panel,
// import/export, and the playground tab.
//
// data-testid (used by frontend/e2e and build/test-window.sh; the canvas' own
// are listed in components/canvas/Canvas.tsx and nodes.tsx, the panels' in
// components/panels/index.ts):
//   app                  the root (data-ready="1" once the first Workspace is shown)
//   open-approvals       the approvals button in the title bar (holds approvals-badge)
//   open-secrets, open-import, open-export   the title bar's other buttons
//   approvals-drawer     the drawer holding ApprovalsInbox; approvals-drawer-close
//   secrets-dialog       the dialog holding SecretsPanel; secrets-dialog-close
//   import-dialog        import-text, import-file, import-ok, import-cancel, import-error,
//                        example-NAME (open a built-in example)
//   export-dialog        export-text, export-download, export-close
//   side-panel           the right panel with the selected node's editor
//   runs-dock            the runs panel dock; runs-toggle collapses it
//   problems             the banner of the army's problems; problem (each)
//   error-toast          the last failed action; error-dismiss
//   loading / load-error the first load

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { Api, Event, KindInfo, Workspace } from "./lib/api";
import { type Connection as ConnState } from "./lib/backend";
import { type Connection, errorText, ready } from "./lib/transport";
import { TitleBar, type View } from "./components/TitleBar";
import { Playground, usePlayground } from "./components/Playground";
import { Canvas } from "./components/canvas/Canvas";
import { Icon } from "./components/canvas/icons";
import { type Live, applyEvent, emptyLive, parseNodeId } from "./components/canvas/graph";
import { AgentEditor, ApprovalsBadge, ApprovalsInbox, CapabilityEditor, RunsPanel, SecretsPanel } from "./components/panels";

interface Props {
  /** The screen shown first: the army, unless a test asks otherwise. */
  initialView?: View;
  /** A connection to use instead of finding one (tests). */
  connection?: Connection;
}

const PULSE_MS = 2000;
const APPROVALS_POLL_MS = 5000;

export function App({ initialView = "army", connection: given }: Props) {
  const [view, setView] = useState<View>(initialView);
  const [conn, setConn] = useState<Connection | null>(given ?? null);
  const [connState, setConnState] = useState<ConnState>("checking");
  const [version, setVersion] = useState<string | null>(null);
  const [ws, setWs] = useState<Workspace | null>(null);
  const [kinds, setKinds] = useState<KindInfo[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [live, setLive] = useState<Live>(emptyLive);
  const [approvals, setApprovals] = useState(0);
  const [approvalsTick, setApprovalsTick] = useState(0);
  const [runsTick, setRunsTick] = useState(0);
  const [drawer, setDrawer] = useState<null | "approvals">(null);
  const [dialog, setDialog] = useState<null | "secrets" | "import" | "export">(null);
  const [runsOpen, setRunsOpen] = useState(true);
  const playground = usePlayground();
  const wsRef = useRef(ws);
  wsRef.current = ws;

  const api: Api | null = conn?.api ?? null;

  // Connect, then load the workspace, the kinds and the version.
  useEffect(() => {
    let live = true;
    void (async () => {
      const c = given ?? (await ready());
      if (!live) return;
      setConn(c);
      try {
        const [w, k, v] = await Promise.all([c.api.Workspace(), c.api.Kinds(), c.api.Version()]);
        if (!live) return;
        setWs(w);
        setKinds(Array.isArray(k) ? k : []);
        setVersion(typeof v === "string" && v ? v : null);
        setConnState("connected");
      } catch (err) {
        if (!live) return;
        setConnState("disconnected");
        setLoadError(errorText(err));
      }
    })();
    return () => {
      live = false;
    };
  }, [given]);

  const refreshApprovals = useCallback(async () => {
    if (!api) return;
    try {
      const list = await api.Approvals(false);
      setApprovals(Array.isArray(list) ? list.filter((e) => e.status === "pending" || e.status === "approving").length : 0);
    } catch {
      // the badge keeps its last count; the inbox shows the error
    }
  }, [api]);

  const reload = useCallback(async () => {
    if (!api) return;
    try {
      setWs(await api.Workspace());
    } catch (err) {
      setError(`reloading the army: ${errorText(err)}`);
    }
  }, [api]);

  // Engine events: live states, pulses, reloads, the badge.
  useEffect(() => {
    if (!conn || connState !== "connected") return;
    void refreshApprovals();
    const off = conn.subscribe((ev: Event) => {
      switch (ev.type) {
        case "workspace":
          void reload();
          return;
        case "approval.new":
        case "approval.decided":
          void refreshApprovals();
          setApprovalsTick((t) => t + 1);
          return;
        case "run.end":
          setRunsTick((t) => t + 1);
          break;
        case "message":
          setTimeout(() => setLive((l) => ({ ...l })), PULSE_MS + 50); // end the pulse
          break;
      }
      setLive((l) => applyEvent(l, ev, wsRef.current, Date.now()));
    });
    const poll = setInterval(() => void refreshApprovals(), APPROVALS_POLL_MS);
    return () => {
      off();
      clearInterval(poll);
    };
  }, [conn, connState, reload, refreshApprovals]);

  const onWorkspace = useCallback((w: Workspace) => {
    setWs(w);
    setError(null);
  }, []);

  // The selected node must still exist.
  const sel = selected ? parseNodeId(selected) : null;
  const selAgent = sel?.kind === "agent" ? ws?.agents.find((a) => a.name === sel.name) : undefined;
  const selCap = sel?.kind === "capability" ? ws?.capabilities.find((c) => c.name === sel.name) : undefined;
  useEffect(() => {
    if (selected && ws && !selAgent && !selCap) setSelected(null);
  }, [selected, ws, selAgent, selCap]);

  const closeSide = useCallback(() => setSelected(null), []);

  // Escape closes the approvals drawer.
  useEffect(() => {
    if (!drawer) return;
    const key = (e: KeyboardEvent) => e.key === "Escape" && setDrawer(null);
    window.addEventListener("keydown", key);
    return () => window.removeEventListener("keydown", key);
  }, [drawer]);
  const openApprovals = useCallback(() => setDrawer("approvals"), []);

  const actions = useMemo(
    () => (
      <>
        <div className="toolbar-group">
          <button type="button" className="tb-button" data-testid="open-import" onClick={() => setDialog("import")} title="Import an army from YAML, or open an example">
            <Icon name="import" size={13} /> Import
          </button>
          <button type="button" className="tb-button" data-testid="open-export" onClick={() => setDialog("export")} title="Export the army as YAML">
            <Icon name="export" size={13} /> Export
          </button>
          <button type="button" className="tb-button" data-testid="open-secrets" onClick={() => setDialog("secrets")} title="Secrets in the OS keyring">
            <Icon name="key" size={13} /> Secrets
          </button>
        </div>
        <div className="approvals-button" data-testid="open-approvals">
          <ApprovalsBadge count={approvals} onClick={openApprovals} />
        </div>
      </>
    ),
    [approvals, openApprovals],
  );

  return (
    <div className="app" data-testid="app" data-ready={ws ? "1" : "0"}>
      <TitleBar
        view={view}
        onView={setView}
        version={version}
        connection={connState}
        army={ws?.name}
        actions={api ? actions : null}
        running={playground.running}
        onRun={playground.run}
      />
      {view === "playground" ? (
        <Playground p={playground} />
      ) : (
        <div className={`army-view${selected && (selAgent || selCap) ? " with-side" : ""}`}>
          {ws && ws.problems.length > 0 && <Problems ws={ws} />}
          <div className="army-main">
            {!ws || !api ? (
              <div className="army-loading" data-testid={loadError ? "load-error" : "loading"}>
                {loadError ? (
                  <>
                    <h2>Cannot reach the littleboxes backend</h2>
                    <p>{loadError}</p>
                    <p className="muted">Open littleboxes from its window, or from the link `littleboxes serve` prints.</p>
                  </>
                ) : (
                  <p>Loading the army…</p>
                )}
              </div>
            ) : (
              <Canvas
                api={api}
                ws={ws}
                kinds={kinds}
                live={live}
                selected={selected}
                onSelect={setSelected}
                onWorkspace={onWorkspace}
                onError={setError}
              />
            )}
            {api && (selAgent || selCap) && (
              <aside className="side-panel" data-testid="side-panel" data-node={selected ?? ""}>
                {selAgent && (
                  <AgentEditor
                    key={`agent:${selAgent.name}`}
                    api={api}
                    agent={selAgent}
                    kinds={kinds}
                    onWorkspace={onWorkspace}
                    onClose={closeSide}
                    onRenamed={(n) => setSelected(`agent:${n}`)}
                    onOpenApprovals={openApprovals}
                  />
                )}
                {selCap && (
                  <CapabilityEditor
                    key={`cap:${selCap.name}`}
                    api={api}
                    capability={selCap}
                    kind={kinds.find((k) => k.id === selCap.kind)}
                    onWorkspace={onWorkspace}
                    onClose={closeSide}
                  />
                )}
              </aside>
            )}
          </div>
          {api && ws && (
            <div className={`runs-dock${runsOpen ? " open" : ""}${selAgent ? "" : " idle"}`} data-testid="runs-dock">
              <button type="button" className="runs-toggle" data-testid="runs-toggle" onClick={() => setRunsOpen(!runsOpen)} aria-expanded={runsOpen}>
                {runsOpen ? "▾" : "▸"} Runs{selAgent ? ` · ${selAgent.name}` : ""}
              </button>
              {runsOpen &&
                (selAgent ? (
                  <RunsPanel key={selAgent.name} api={api} agent={selAgent.name} version={runsTick} onOpenApprovals={openApprovals} />
                ) : (
                  // Runs("") is not "every agent" on the Go side (yet): one agent at a time.
                  <div className="runs-hint" data-testid="runs-hint">
                    Select an agent on the canvas to see its runs: each invocation's result, error and console output.
                  </div>
                ))}
            </div>
          )}
          {error && (
            <div className="error-toast" role="alert" data-testid="error-toast">
              <span>{error}</span>
              <button type="button" className="icon-button" data-testid="error-dismiss" onClick={() => setError(null)} aria-label="Dismiss">
                ✕
              </button>
            </div>
          )}
        </div>
      )}
      {api && drawer === "approvals" && (
        <div className="drawer-backdrop" onPointerDown={(e) => e.target === e.currentTarget && setDrawer(null)}>
          <aside className="drawer" data-testid="approvals-drawer">
            <button type="button" className="drawer-close" data-testid="approvals-drawer-close" onClick={() => setDrawer(null)} aria-label="Close the approvals" title="Close (Esc)">
              ✕
            </button>
            <ApprovalsInbox
              api={api}
              refresh={approvalsTick}
              onChanged={() => {
                void refreshApprovals();
                setRunsTick((t) => t + 1);
              }}
            />
          </aside>
        </div>
      )}
      {api && dialog === "secrets" && (
        <Modal testId="secrets-dialog" title="Secrets" onClose={() => setDialog(null)}>
          <SecretsPanel api={api} />
        </Modal>
      )}
      {api && dialog === "import" && (
        <ImportDialog
          api={api}
          onClose={() => setDialog(null)}
          onWorkspace={(w) => {
            setSelected(null);
            onWorkspace(w);
            setDialog(null);
          }}
        />
      )}
      {api && ws && dialog === "export" && <ExportDialog api={api} name={ws.name} onClose={() => setDialog(null)} />}
    </div>
  );
}

function Problems({ ws }: { ws: Workspace }) {
  const [open, setOpen] = useState(false);
  const n = ws.problems.length;
  return (
    <div className="problems" data-testid="problems" role="status">
      <button type="button" className="problems-head" onClick={() => setOpen(!open)} aria-expanded={open}>
        <span className="problems-icon">⚠</span>
        {n === 1 ? "1 problem stops this army from running" : `${n} problems stop this army from running`}
        {!open && <span className="problems-first">: {ws.problems[0].message}</span>}
        <span className="caret">{open ? "▾" : "▸"}</span>
      </button>
      {open && (
        <ul>
          {ws.problems.map((p, i) => (
            <li key={i} data-testid="problem">
              {p.path && <code>{p.path}</code>} {p.line > 0 && <span className="muted">line {p.line}</span>} {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Modal({ testId, title, onClose, children, wide }: { testId: string; title: string; onClose(): void; children: React.ReactNode; wide?: boolean }) {
  useEffect(() => {
    const key = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", key);
    return () => window.removeEventListener("keydown", key);
  }, [onClose]);
  return (
    <div className="modal-backdrop" onPointerDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`modal${wide ? " wide" : ""}`} data-testid={testId} role="dialog" aria-label={title}>
        <div className="modal-head">
          <h2>{title}</h2>
          <button type="button" className="icon-button" data-testid={`${testId}-close`} onClick={onClose} aria-label="Close">
            ✕
          </button>
        </div>
        <div className="modal-body">{children}</div>
      </div>
    </div>
  );
}

function ImportDialog({ api, onClose, onWorkspace }: { api: Api; onClose(): void; onWorkspace(ws: Workspace): void }) {
  const [text, setText] = useState("");
  const [examples, setExamples] = useState<string[]>([]);
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.Examples().then(
      (e) => setExamples(Array.isArray(e) ? e : []),
      () => setExamples([]),
    );
  }, [api]);
  const run = async (what: Promise<Workspace>) => {
    setBusy(true);
    setErr(null);
    try {
      onWorkspace(await what);
    } catch (e) {
      setErr(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal testId="import-dialog" title="Import an army" onClose={onClose} wide>
      <p className="muted small">Paste an army file (YAML) or choose one. It replaces the open army; export first to keep it.</p>
      <textarea
        className="yaml-text"
        data-testid="import-text"
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder={"name: my-army\nagents:\n  hello:\n    triggers: [manual]\n    code: |\n      export default { async run() { return 'hi' } }"}
        spellCheck={false}
      />
      <div className="dialog-row">
        <label className="file-button">
          Choose a file…
          <input
            type="file"
            accept=".yaml,.yml,text/yaml"
            data-testid="import-file"
            onChange={async (e) => {
              const f = e.target.files?.[0];
              if (f) setText(await f.text());
            }}
          />
        </label>
        <span className="spacer" />
        <button type="button" className="button" data-testid="import-cancel" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="button primary" data-testid="import-ok" disabled={busy || text.trim() === ""} onClick={() => void run(api.ImportYAML(text))}>
          Import
        </button>
      </div>
      {err && (
        <pre className="field-error" data-testid="import-error">
          {err}
        </pre>
      )}
      {examples.length > 0 && (
        <div className="examples">
          <h3>Or open an example</h3>
          <div className="example-list">
            {examples.map((n) => (
              <button key={n} type="button" className="button" data-testid={`example-${n}`} disabled={busy} onClick={() => void run(api.OpenExample(n))}>
                {n}
              </button>
            ))}
          </div>
        </div>
      )}
    </Modal>
  );
}

function ExportDialog({ api, name, onClose }: { api: Api; name: string; onClose(): void }) {
  const [text, setText] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    api.ExportYAML().then(setText, (e) => setErr(errorText(e)));
  }, [api]);
  const download = () => {
    if (text === null) return;
    const url = URL.createObjectURL(new Blob([text], { type: "text/yaml" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `${name || "army"}.yaml`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <Modal testId="export-dialog" title={`Export ${name}`} onClose={onClose} wide>
      {err ? (
        <pre className="field-error">{err}</pre>
      ) : (
        <textarea className="yaml-text" data-testid="export-text" readOnly value={text ?? "…"} spellCheck={false} />
      )}
      <div className="dialog-row">
        <span className="muted small">The army file, as `littleboxes check` and `run` read it.</span>
        <span className="spacer" />
        <button
          type="button"
          className="button"
          disabled={text === null}
          onClick={() => {
            if (text !== null) void navigator.clipboard?.writeText(text).then(() => setCopied(true));
          }}
        >
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" className="button primary" data-testid="export-download" disabled={text === null} onClick={download}>
          Download {name || "army"}.yaml
        </button>
      </div>
    </Modal>
  );
}
