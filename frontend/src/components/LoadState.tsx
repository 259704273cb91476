// What the army screen shows until the first Workspace arrives: loading, or
// why the backend cannot be reached.
//
// data-testid: loading, load-error.

export function LoadState({ error }: { error: string | null }) {
  return (
    <div className="army-loading" data-testid={error ? "load-error" : "loading"}>
      {error ? (
        <>
          <h2>Cannot reach the littleboxes backend</h2>
          <p>{error}</p>
          <p className="muted">Open littleboxes from its window, or from the link `littleboxes serve` prints.</p>
        </>
      ) : (
        <p>Loading the army…</p>
      )}
    </div>
  );
}
