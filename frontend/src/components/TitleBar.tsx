import type { ReactNode } from "react";
import type { ConnectionState } from "../lib/transport";
import { Logo } from "./Logo";

/** The screens the tab bar switches between. */
export type View = "army" | "playground";

interface Props {
  view: View;
  onView: (v: View) => void;
  version: string | null;
  connection: ConnectionState;
  /** The army's name, shown beside the brand. */
  army?: string;
  /** Beside the army's name: the armies the engine runs (RunningArmies). */
  armies?: ReactNode;
  /** Buttons at the right (approvals, secrets, import/export …). */
  actions?: ReactNode;
  /** The playground's Run button state (shown on the playground only). */
  running: boolean;
  onRun: () => void;
}

const connectionLabel: Record<ConnectionState, string> = {
  checking: "connecting…",
  connected: "connected",
  disconnected: "not connected",
};

const tabs: { id: View; label: string }[] = [
  { id: "army", label: "Army" },
  { id: "playground", label: "Playground" },
];

/**
 * The bar across the top: the name and version, the open army and the
 * armies running, the Army | Playground tabs, the app's actions and the backend's status.
 *
 * data-testid: tab-army, tab-playground, run (playground), army-name,
 * connection (data-state).
 */
export function TitleBar({ view, onView, version, connection, army, armies, actions, running, onRun }: Props) {
  return (
    <header className="titlebar">
      <div className="brand">
        <Logo />
        <h1>littleboxes</h1>
        {version && (
          <span className="version" title="application version">
            v{version}
          </span>
        )}
        {army && (
          <span className="army-name" data-testid="army-name" title="the open army">
            {army}
          </span>
        )}
        {armies}
      </div>
      <nav className="tabs" role="tablist" aria-label="Screens">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={view === t.id}
            className={`tab${view === t.id ? " active" : ""}`}
            onClick={() => onView(t.id)}
            data-testid={`tab-${t.id}`}
          >
            {t.label}
          </button>
        ))}
      </nav>
      <div className="titlebar-actions">
        {view === "army" && actions}
        <span className={`status status-${connection}`} role="status" data-testid="connection" data-state={connection} title={connectionLabel[connection]}>
          <span className="dot" aria-hidden="true" />
          <span className="status-text">{connectionLabel[connection]}</span>
        </span>
        {view === "playground" && (
          <button
            type="button"
            className="run-button"
            onClick={onRun}
            disabled={running}
            title="Run the module once (Ctrl+Enter)"
            data-testid="run"
          >
            {running ? (
              <span className="spinner" aria-hidden="true" />
            ) : (
              <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
                <path d="M2.5 1.5v9l8-4.5z" fill="currentColor" />
              </svg>
            )}
            <span>{running ? "Running" : "Run"}</span>
          </button>
        )}
      </div>
    </header>
  );
}
