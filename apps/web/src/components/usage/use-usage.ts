import { useQuery } from '@tanstack/react-query';
import type { UseQueryResult } from '@tanstack/react-query';
import type { UsageStatsResponse } from '@metering/contract';
import { ApiError } from '../../api/api-error';
import { fetchUsage } from '../../api/usage-api.client';
import { useAuthToken } from '../../auth/auth-token.store';

/** How often the page re-reads usage while it is open. */
export const DEFAULT_REFETCH_MS = 30_000;
const MIN_REFETCH_MS = 1_000;
const MAX_REFETCH_MS = 300_000;

/**
 * The refetch interval: 30 s, or `?refetch=<ms>` on the page URL (clamped to 1 s - 5 min) so a
 * demo or an end-to-end test can watch the bars move without waiting half a minute.
 */
export function refetchIntervalFrom(search: string): number {
  const requested = Number(new URLSearchParams(search).get('refetch'));
  if (!Number.isFinite(requested) || requested <= 0) return DEFAULT_REFETCH_MS;
  return Math.min(MAX_REFETCH_MS, Math.max(MIN_REFETCH_MS, Math.round(requested)));
}

export function usageQueryKey(token: string | null): readonly unknown[] {
  return ['usage', token];
}

/**
 * The signed-in tenant's usage, shared by every component that calls it (one request per
 * refetch). Re-reads every interval and when the window regains focus; after a 429 it waits at
 * least as long as the server's Retry-After asks.
 */
export function useUsage(): UseQueryResult<UsageStatsResponse, Error> & { token: string | null } {
  const token = useAuthToken();
  const intervalMs = refetchIntervalFrom(window.location.search);
  const query = useQuery<UsageStatsResponse, Error>({
    queryKey: usageQueryKey(token),
    queryFn: ({ signal }) => fetchUsage(token!, signal),
    enabled: token !== null,
    refetchOnWindowFocus: true,
    refetchInterval: (current) => {
      const error = current.state.error;
      if (error instanceof ApiError && error.isRateLimited && error.retryAfterSeconds !== undefined) {
        return Math.max(intervalMs, error.retryAfterSeconds * 1000);
      }
      return intervalMs;
    },
  });
  return Object.assign(query, { token });
}
