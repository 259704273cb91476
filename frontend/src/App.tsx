// The window: the title bar, the army canvas with its palette, the editor of
// the selected node, the runs dock, the approvals inbox, the secrets panel,
// import/export, and the playground tab. Its state lives in hooks (hooks/:
// useWorkspace, useApprovals, useEngineEvents, useSelection, useRunning; the canvas'
// useArmyEdits and useNodePositions), its parts one per file (components/).
//
// data-testid (used by frontend/e2e and build/test-window.sh; the canvas' own
// are listed in components/canvas/Canvas.tsx and nodes.tsx, the panels' in
// components/panels/index.ts, the others in each component's file):
//   app                  the root (data-ready="1" once the first Workspace is shown)
//   running-armies       the armies running, in the title bar (components/RunningArmies.tsx)
//   open-approvals       the approvals button in the title bar (holds approvals-badge)
//   open-secrets, open-import, open-export   the title bar's other buttons
//   approvals-drawer     the drawer holding ApprovalsInbox; approvals-drawer-close; it opens
//                        on an approval when the page gets a "window.approval" event
//   secrets-dialog       the dialog holding SecretsPanel; secrets-dialog-close
//   settings-dialog      the dialog holding KeepRunningToggle and MuteSettings; settings-dialog-close
//   engine-banner        shown while the engine is reconnecting (components/EngineBanner.tsx)
//   import-dialog        import-text, import-file, import-ok, import-cancel, import-error,
//                        example-NAME (open a built-in example)
//   export-dialog        export-text, export-download, export-dialog-close
//   side-panel           the right panel with the selected node's editor
//   runs-dock            the runs panel dock; runs-toggle collapses it
//   problems             the banner of the army's problems; problem (each)
//   error-toast          the last failed action; error-dismiss
//   loading / load-error the first load

import { useCallback, useMemo, useState } from "react";
import type { EngineState, Workspace } from "./lib/api";
import type { Connection } from "./lib/transport";
import { useApprovals } from "./hooks/useApprovals";
import { useEngineEvents } from "./hooks/useEngineEvents";
import { useRunning } from "./hooks/useRunning";
import { useSelection } from "./hooks/useSelection";
import { useWorkspace } from "./hooks/useWorkspace";
import { ApprovalsDrawer } from "./components/ApprovalsDrawer";
import { ArmyActions, type Dialog } from "./components/ArmyActions";
import { Canvas } from "./components/canvas/Canvas";
import { EngineBanner } from "./components/EngineBanner";
import { ErrorToast } from "./components/ErrorToast";
import { ExportDialog } from "./components/ExportDialog";
import { ImportDialog } from "./components/ImportDialog";
import { KeepRunningToggle } from "./components/KeepRunningToggle";
import { LoadState } from "./components/LoadState";
import { Modal } from "./components/Modal";
import { MuteSettings } from "./components/MuteSettings";
import { NodePanel } from "./components/NodePanel";
import { Playground, usePlayground } from "./components/Playground";
import { Problems } from "./components/Problems";
import { RunningArmies } from "./components/RunningArmies";
import { RunsDock } from "./components/RunsDock";
import { TitleBar, type View } from "./components/TitleBar";
import { SecretsPanel } from "./components/panels";

interface Props {
  /** The screen shown first: the army, unless a test asks otherwise. */
  initialView?: View;
  /** A connection to use instead of finding one (tests). */
  connection?: Connection;
}

export function App({ initialView = "army", connection: given }: Props) {
  const [view, setView] = useState<View>(initialView);
  const [error, setError] = useState<string | null>(null);
  const [drawer, setDrawer] = useState(false);
  const [focus, setFocus] = useState<string | null>(null); // the approval a notification's click is about
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [runsVersion, setRunsVersion] = useState(0);
  const [engine, setEngine] = useState<EngineState>("attached");

  const w = useWorkspace(given);
  const { api, ws } = w;
  const approvals = useApprovals(api);
  const selection = useSelection(ws);
  const playground = usePlayground(api);
  const { setWs } = w;
  const onWorkspace = useCallback(
    (next: Workspace) => {
      setWs(next);
      setError(null);
    },
    [setWs],
  );
  const { select } = selection;
  const onShown = useCallback(
    (next: Workspace) => {
      select(null);
      onWorkspace(next);
    },
    [select, onWorkspace],
  );
  const running = useRunning(api, onShown);
  const live = useEngineEvents(w.conn, w.state === "connected", ws, {
    onWorkspace: () => {
      void w.reload(setError);
      void running.refresh();
    },
    onArmies: () => void running.refresh(),
    onApprovals: approvals.changed,
    onRunEnd: () => setRunsVersion((v) => v + 1),
    pollApprovals: () => void approvals.refresh(),
    onEngine: setEngine,
    onOpenApproval: (id) => {
      setFocus(id);
      setDrawer(true);
    },
  });

  const openApprovals = useCallback(() => {
    setFocus(null);
    setDrawer(true);
  }, []);
  const closeApprovals = useCallback(() => {
    setFocus(null);
    setDrawer(false);
  }, []);
  const closeDialog = useCallback(() => setDialog(null), []);
  const shown = selection.agent ?? selection.capability;
  // The llm capabilities: the models an agent's code may be written by.
  const models = useMemo(() => (ws?.capabilities ?? []).filter((c) => c.kind === "llm").map((c) => c.name), [ws]);

  return (
    <div className="app" data-testid="app" data-ready={ws ? "1" : "0"}>
      <TitleBar
        view={view}
        onView={setView}
        version={w.version}
        connection={w.state}
        army={ws?.name}
        armies={api ? <RunningArmies running={running} /> : null}
        actions={api ? <ArmyActions approvals={approvals.count} onDialog={setDialog} onApprovals={openApprovals} /> : null}
        running={playground.running}
        onRun={playground.run}
      />
      <EngineBanner state={engine} />
      {view === "playground" ? (
        <Playground p={playground} />
      ) : (
        <div className={`army-view${shown ? " with-side" : ""}`}>
          {ws && ws.problems.length > 0 && <Problems ws={ws} api={api ?? undefined} onWorkspace={onWorkspace} />}
          <div className="army-main">
            {!ws || !api ? (
              <LoadState error={w.loadError} />
            ) : (
              <Canvas
                api={api}
                ws={ws}
                kinds={w.kinds}
                live={live}
                selected={selection.id}
                onSelect={selection.select}
                onWorkspace={onWorkspace}
                onError={setError}
              />
            )}
            {api && shown && <NodePanel api={api} selection={selection} kinds={w.kinds} models={models} runsVersion={runsVersion} onWorkspace={onWorkspace} onOpenApprovals={openApprovals} />}
          </div>
          {api && ws && <RunsDock api={api} agent={selection.agent?.name} version={runsVersion} onOpenApprovals={openApprovals} />}
          {error && <ErrorToast error={error} onDismiss={() => setError(null)} />}
        </div>
      )}
      {api && drawer && (
        <ApprovalsDrawer
          api={api}
          refresh={approvals.version}
          onChanged={() => {
            void approvals.refresh();
            setRunsVersion((v) => v + 1);
          }}
          onClose={closeApprovals}
          focus={focus}
        />
      )}
      {api && dialog === "secrets" && (
        <Modal testId="secrets-dialog" title="Secrets" onClose={closeDialog}>
          <SecretsPanel api={api} />
        </Modal>
      )}
      {api && dialog === "settings" && (
        <Modal testId="settings-dialog" title="Settings" onClose={closeDialog}>
          <KeepRunningToggle api={api} />
          <MuteSettings api={api} />
        </Modal>
      )}
      {api && dialog === "import" && (
        <ImportDialog
          api={api}
          onClose={closeDialog}
          onWorkspace={(next) => {
            selection.select(null);
            onWorkspace(next);
            setDialog(null);
          }}
        />
      )}
      {api && ws && dialog === "export" && <ExportDialog api={api} name={ws.name} onClose={closeDialog} />}
    </div>
  );
}
