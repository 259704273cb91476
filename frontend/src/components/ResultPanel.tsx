import {
  type ExecError,
  type ExecResult,
  errorLocation,
  errorMessage,
  errorTitle,
  formatValue,
  summarize,
} from "../lib/result";

interface Props {
  result: ExecResult | null;
  running: boolean;
  /** Moves the caret to where an error points (module or input). */
  onJump?: (e: ExecError) => void;
}

/** The result of the last run: its value or error, and its console output. */
export function ResultPanel({ result, running, onJump }: Props) {
  return (
    <section className="panel result-panel" aria-label="Result" aria-busy={running}>
      <div className="panel-head">
        <h2>Result</h2>
        {result && !running && <Status result={result} />}
        {running && <span className="panel-hint">running…</span>}
      </div>
      <div className="result-body">
        {result ? <ResultBody result={result} onJump={onJump} /> : <Empty />}
      </div>
    </section>
  );
}

function Status({ result }: { result: ExecResult }) {
  const s = summarize(result);
  return (
    <span className={`result-status tone-${s.tone}`} data-testid="result-status">
      {s.tone === "ok" ? "✓" : "✕"} {s.text}
    </span>
  );
}

function Empty() {
  return (
    <div className="empty">
      <p>
        Press <b>Run</b> or <kbd>Ctrl</kbd>+<kbd>Enter</kbd> to run the module once.
      </p>
      <p className="muted">Its return value, console output and errors appear here.</p>
    </div>
  );
}

function ResultBody({ result, onJump }: { result: ExecResult; onJump?: (e: ExecError) => void }) {
  return (
    <>
      {result.ok ? (
        <div className="block">
          <h3>Value</h3>
          <pre className="value">{formatValue(result.value)}</pre>
        </div>
      ) : (
        result.error && <ErrorBlock error={result.error} onJump={onJump} />
      )}
      <div className="block">
        <h3>
          Console <span className="count">{result.console.length}</span>
        </h3>
        {result.console.length === 0 ? (
          <p className="muted small">no output</p>
        ) : (
          <ol className="console">
            {result.console.map((l, i) => (
              <li key={i} className={`console-line level-${l.level}`}>
                <span className="level">{l.level}</span>
                <span className="text">{l.text}</span>
              </li>
            ))}
          </ol>
        )}
      </div>
    </>
  );
}

function ErrorBlock({ error, onJump }: { error: ExecError; onJump?: (e: ExecError) => void }) {
  const where = errorLocation(error);
  return (
    <div className={`block error-block kind-${error.kind}`} role="alert">
      <h3>{errorTitle(error)}</h3>
      {where &&
        (onJump ? (
          <button type="button" className="location" onClick={() => onJump(error)} title="show in the editor">
            {where}
          </button>
        ) : (
          <span className="location">{where}</span>
        ))}
      <pre className="error-message">{errorMessage(error)}</pre>
      {error.stack && <pre className="stack">{error.stack}</pre>}
    </div>
  );
}
