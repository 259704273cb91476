import type { Connection } from "../lib/backend";
import { Logo } from "./Logo";

/** The screens the tab bar switches between. */
export type View = "army" | "playground";

interface Props {
  view: View;
  onView: (v: View) => void;
  version: string | null;
  connection: Connection;
  running: boolean;
  onRun: () => void;
}

const connectionLabel: Record<Connection, string> = {
  checking: "connecting…",
  connected: "connected",
  disconnected: "not connected",
};

const tabs: { id: View; label: string }[] = [
  { id: "army", label: "Army" },
  { id: "playground", label: "Playground" },
];

/**
 * The bar across the top: the name and version, the Army | Playground tabs,
 * the backend's status, and (in the playground) the Run button.
 *
 * build/test-window.sh clicks at fixed places, relative to the window:
 *   - the Playground tab at (width / 2 + 58, 26): the tabs are centred in the
 *     bar, two 112 px buttons in a segmented control with 3 px padding and a
 *     2 px gap, so the second tab is centred 58 px right of the middle;
 *   - Run at (width - 64, 26): keep the button 96 px wide, 16 px from the
 *     right edge, centred in a 52 px bar.
 */
export function TitleBar({ view, onView, version, connection, running, onRun }: Props) {
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
        <span className={`status status-${connection}`} role="status">
          <span className="dot" aria-hidden="true" />
          {connectionLabel[connection]}
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
