import type { UsageStatsResponse } from '@metering/contract';
import { apiErrorFrom } from './api-error';

/** `GET /api/v1/usage` as the bearer of `token`; throws ApiError on any non-2xx answer. */
export async function fetchUsage(token: string, signal?: AbortSignal): Promise<UsageStatsResponse> {
  const response = await fetch('/api/v1/usage', {
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    signal,
  });
  if (!response.ok) throw await apiErrorFrom(response);
  return (await response.json()) as UsageStatsResponse;
}

/**
 * `POST /api/v1/dev/token`: a token for the seeded demo tenant. The API offers it only outside
 * production; the page offers the button only in builds made with the development login.
 */
export async function requestDemoToken(): Promise<string> {
  const response = await fetch('/api/v1/dev/token', { method: 'POST', headers: { Accept: 'application/json' } });
  if (!response.ok) throw await apiErrorFrom(response);
  const body = (await response.json()) as { token?: unknown };
  if (typeof body.token !== 'string') throw new Error('The API answered without a token');
  return body.token;
}
