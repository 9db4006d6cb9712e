import type { AgentType, HistoryWindow, UsageEventsPage, UsageHistoryResponse, UsagePeriodsResponse } from '@metering/contract';
import { apiErrorFrom } from './api-error';

async function getJson<T>(path: string, token: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, signal });
  if (!response.ok) throw await apiErrorFrom(response);
  return (await response.json()) as T;
}

/** `GET /api/v1/usage/history`: the tenant's series per agent over [from, to). */
export function fetchHistory(token: string, from: string, to: string, window: HistoryWindow, signal?: AbortSignal): Promise<UsageHistoryResponse> {
  const query = new URLSearchParams({ from, to, window });
  return getJson(`/api/v1/usage/history?${query.toString()}`, token, signal);
}

/** `GET /api/v1/usage/periods`: past periods, newest first. */
export function fetchPeriods(token: string, cursor: string | null, signal?: AbortSignal): Promise<UsagePeriodsResponse> {
  const query = new URLSearchParams({ limit: '6', ...(cursor ? { cursor } : {}) });
  return getJson(`/api/v1/usage/periods?${query.toString()}`, token, signal);
}

/** `GET /api/v1/usage/events`: one agent's latest events in a period. */
export function fetchEvents(
  token: string,
  selection: { agent: AgentType; from: string; to: string },
  cursor: string | null,
  signal?: AbortSignal,
): Promise<UsageEventsPage> {
  const query = new URLSearchParams({ ...selection, limit: '20', ...(cursor ? { cursor } : {}) });
  return getJson(`/api/v1/usage/events?${query.toString()}`, token, signal);
}

/**
 * The same selection as CSV. The API needs the bearer token, which a plain link cannot send, so
 * the file is fetched and handed to the browser as a download.
 */
export async function downloadEventsCsv(token: string, selection: { agent: AgentType; from: string; to: string }): Promise<void> {
  const query = new URLSearchParams({ ...selection, format: 'csv' });
  const response = await fetch(`/api/v1/usage/events?${query.toString()}`, { headers: { Authorization: `Bearer ${token}`, Accept: 'text/csv' } });
  if (!response.ok) throw await apiErrorFrom(response);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = `${selection.agent}-events-${selection.from.slice(0, 10)}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}
