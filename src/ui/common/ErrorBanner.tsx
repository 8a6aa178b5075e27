// Shows an error the user must see: what went wrong and where, as plain text, dismissible.

export interface ShownError {
  title: string;
  message: string;
}

export function toShownError(title: string, err: unknown): ShownError {
  const message = err instanceof Error ? err.message : String(err);
  return { title, message };
}

export function ErrorBanner({ error, onDismiss }: { error: ShownError | null; onDismiss: () => void }) {
  if (!error) return null;
  return (
    <div className="error-banner" role="alert" data-testid="error-banner">
      <strong>{error.title}</strong>
      <span data-testid="error-message">{error.message}</span>
      <button type="button" onClick={onDismiss} aria-label="Dismiss error">
        ×
      </button>
    </div>
  );
}
