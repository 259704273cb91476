// The last failed action, until dismissed or the next edit succeeds.
//
// data-testid: error-toast, error-dismiss.

export function ErrorToast({ error, onDismiss }: { error: string; onDismiss(): void }) {
  return (
    <div className="error-toast" role="alert" data-testid="error-toast">
      <span>{error}</span>
      <button type="button" className="icon-button" data-testid="error-dismiss" onClick={onDismiss} aria-label="Dismiss">
        ✕
      </button>
    </div>
  );
}
