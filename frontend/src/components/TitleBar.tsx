import type { Connection } from "../lib/backend";
import { Logo } from "./Logo";

interface Props {
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

/**
 * The bar across the top: the name and version, the backend's status, and
 * the Run button. build/test-window.sh clicks Run at (width - 64, 26): keep
 * the button 96 px wide, 16 px from the right edge, centred in a 52 px bar.
 */
export function TitleBar({ version, connection, running, onRun }: Props) {
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
      <div className="titlebar-actions">
        <span className={`status status-${connection}`} role="status">
          <span className="dot" aria-hidden="true" />
          {connectionLabel[connection]}
        </span>
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
      </div>
    </header>
  );
}
