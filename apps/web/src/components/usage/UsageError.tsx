import { ApiError } from '../../api/api-error';

export interface UsageErrorProps {
  error: Error;
  retrying: boolean;
  onRetry: () => void;
}

/** What went wrong in words a customer understands, and a way to try again. */
export function usageErrorMessage(error: Error): { title: string; detail: string } {
  if (error instanceof ApiError && error.isRateLimited) {
    const wait = error.retryAfterSeconds ? ` in about ${error.retryAfterSeconds} seconds` : ' in a moment';
    return { title: 'Usage is being refreshed too often', detail: `We'll update it again automatically${wait}.` };
  }
  if (error instanceof ApiError && error.status >= 500) {
    return { title: 'We could not load your usage', detail: 'The billing service had a problem. Please try again.' };
  }
  if (error instanceof ApiError) return { title: 'We could not load your usage', detail: error.message };
  return { title: 'We could not load your usage', detail: 'Check your connection and try again.' };
}

/** Error state of the widget when there is no earlier usage to keep showing. */
export function UsageError({ error, retrying, onRetry }: UsageErrorProps) {
  const { title, detail } = usageErrorMessage(error);
  return (
    <div className="usage-error" role="alert">
      <p className="usage-error__title">{title}</p>
      <p className="usage-error__detail">{detail}</p>
      <button type="button" className="button" onClick={onRetry} disabled={retrying}>
        {retrying ? 'Retrying…' : 'Retry'}
      </button>
    </div>
  );
}
