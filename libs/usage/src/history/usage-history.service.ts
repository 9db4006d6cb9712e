import type { DataSource } from 'typeorm';
import type { HistoryWindow, UsageHistoryPoint, UsageHistoryResponse } from '@metering/contract';
import { AGENT_TYPES } from '../domain/agent-type';
import type { AgentType } from '../domain/agent-type';
import { agentParam, instantParam, invalidParam, rejectUnknownParams, requireOrdered, stringParam } from './query-params';
import type { QueryParams } from './query-params';
import { USAGE_HISTORY_SQL } from './usage-history.query';

/** At most this many windows per answer (per agent series). */
export const MAX_HISTORY_POINTS = 1000;

const WINDOW_MS: Record<HistoryWindow, number> = { hour: 3_600_000, day: 86_400_000 };

export interface HistoryQuery {
  from: Date;
  to: Date;
  window: HistoryWindow;
  agent?: AgentType;
}

/**
 * `from` and `to` are required (ISO 8601); `window` is `hour` or `day` (default `day`). The range
 * is widened to whole windows (from down, to up, in UTC); more than MAX_HISTORY_POINTS windows is a 400.
 */
export function parseHistoryQuery(query: QueryParams): HistoryQuery {
  rejectUnknownParams(query, ['from', 'to', 'window', 'agent']);
  const window = (stringParam(query, 'window') ?? 'day') as HistoryWindow;
  if (!(window in WINDOW_MS)) invalidParam('window', 'window must be hour or day');
  const from = instantParam(query, 'from') ?? invalidParam('from', 'from is required (ISO 8601, e.g. 2026-11-01T00:00:00Z)');
  const to = instantParam(query, 'to') ?? invalidParam('to', 'to is required (ISO 8601, e.g. 2026-12-01T00:00:00Z)');
  requireOrdered(from, to);
  const size = WINDOW_MS[window];
  const start = new Date(Math.floor(from.getTime() / size) * size);
  const end = new Date(Math.ceil(to.getTime() / size) * size);
  const points = (end.getTime() - start.getTime()) / size;
  if (points > MAX_HISTORY_POINTS) {
    invalidParam(
      'to',
      `from..to spans ${points.toLocaleString('en-US')} ${window} windows; at most ${MAX_HISTORY_POINTS.toLocaleString('en-US')} per answer: ` +
        `narrow the range${window === 'hour' ? ' or use window=day' : ''}`,
    );
  }
  return { from: start, to: end, window, agent: agentParam(query) };
}

/** A tenant's usage per agent and window, zero-filled; the sum over a period equals its counter. */
export class UsageHistoryService {
  constructor(private readonly dataSource: DataSource) {}

  async history(tenantId: string, query: HistoryQuery): Promise<UsageHistoryResponse> {
    const size = WINDOW_MS[query.window];
    const rows: Array<{ agent: AgentType; cells: string }> = await this.dataSource.query(USAGE_HISTORY_SQL, [
      tenantId,
      query.from.toISOString(),
      query.to.toISOString(),
      size / 1000,
      query.agent ?? null,
    ]);
    const windows = (query.to.getTime() - query.from.getTime()) / size;
    const starts = Array.from({ length: windows }, (_, index) => new Date(query.from.getTime() + index * size).toISOString());
    const byAgent = new Map(rows.map((row) => [row.agent, row.cells]));
    const series: Partial<Record<AgentType, UsageHistoryPoint[]>> = {};
    for (const agent of query.agent ? [query.agent] : AGENT_TYPES) {
      const counts = new Array<number>(windows).fill(0);
      for (const cell of byAgent.get(agent)?.split(',') ?? []) {
        const colon = cell.indexOf(':');
        counts[Number(cell.slice(0, colon))] = Number(cell.slice(colon + 1));
      }
      series[agent] = starts.map((start, index) => ({ start, count: counts[index]! }));
    }
    return { tenant_id: tenantId, window: query.window, from: query.from.toISOString(), to: query.to.toISOString(), series };
  }
}
