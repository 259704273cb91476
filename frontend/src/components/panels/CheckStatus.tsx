// Whether the agent's code compiles, beside its Save button.
//
// data-testid: agent-checking, agent-compiles.

/** checking: a CheckCode call in flight; count: its diagnostics; error: why it could not check. */
export function CheckStatus({ checking, count, error }: { checking: boolean; count: number; error: string | null }) {
  if (error) return <span className="lbp-small lbp-warn-text" title={error}>can't check</span>;
  if (checking)
    return (
      <span className="lbp-small lbp-muted" data-testid="agent-checking">
        checking…
      </span>
    );
  if (count === 0)
    return (
      <span className="lbp-small lbp-ok-text" data-testid="agent-compiles">
        ✓ compiles
      </span>
    );
  return (
    <span className="lbp-small lbp-err-text">
      {count} problem{count === 1 ? "" : "s"}
    </span>
  );
}
