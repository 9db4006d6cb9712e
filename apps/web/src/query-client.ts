import { QueryClient } from '@tanstack/react-query';
import { ApiError } from './api/api-error';

/**
 * Retries only what a retry can fix: network failures and 5xx, twice. A 4xx (bad token, no
 * subscription, rate limited) gets the same answer again, so it is shown at once.
 */
export function shouldRetry(failureCount: number, error: Error): boolean {
  if (error instanceof ApiError && error.status < 500) return false;
  return failureCount < 2;
}

export function createQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: shouldRetry, staleTime: 5_000 } } });
}
