import { ApiError } from '../../api/api-error';

/** A section's failed load in words, with a retry; a 429 says when it will work again. */
export function QueryProblem({ what, error, onRetry }: { what: string; error: Error; onRetry: () => void }) {
  let detail = 'Check your connection and try again.';
  if (error instanceof ApiError && error.isRateLimited) {
    detail = `Too many requests right now. Try again ${error.retryAfterSeconds ? `in about ${error.retryAfterSeconds} seconds` : 'in a moment'}.`;
  } else if (error instanceof ApiError && error.status >= 500) {
    detail = 'The billing service had a problem. Please try again.';
  } else if (error instanceof ApiError) {
    detail = error.message;
  }
  return (
    <div className="history-problem" role="alert" data-rate-limited={error instanceof ApiError && error.isRateLimited ? 'true' : undefined}>
      <p>
        <strong>We could not load {what}.</strong> {detail}
      </p>
      <button type="button" className="button button--small button--ghost" onClick={onRetry}>
        Retry
      </button>
    </div>
  );
}

/** A section's loading state: announced, not only drawn. */
export function QueryLoading({ what }: { what: string }) {
  return (
    <p className="history-loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}
