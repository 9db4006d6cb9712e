import type { DataSource } from 'typeorm';
import type { UsageEventRecord, UsageEventsPage } from '@metering/contract';
import type { AgentType } from '../domain/agent-type';
import { agentParam, instantParam, integerParam, invalidParam, rejectUnknownParams, requireOrdered, stringParam } from './query-params';
import type { QueryParams } from './query-params';
import { USAGE_EVENTS_PAGE_SQL } from './usage-events.query';

export const DEFAULT_EVENTS_PAGE = 50;
export const MAX_EVENTS_PAGE = 500;
/** Rows per round trip while streaming CSV: memory stays one page whatever the selection. */
export const CSV_PAGE_SIZE = 1000;

export interface EventsSelection {
  agent?: AgentType;
  from?: Date;
  to?: Date;
  resourceId?: string;
}

/**
 * Where the previous page ended: occurred_at in epoch microseconds, the key (an event's
 * idempotency key or a correction's key) and whether that row was a correction.
 */
export interface EventsCursor {
  occurredUs: string;
  idempotencyKey: string;
  correction: boolean;
}

export interface EventsQuery {
  selection: EventsSelection;
  cursor: EventsCursor | null;
  limit: number;
  format: 'json' | 'csv' | undefined;
}

/** `<us>|<key>` after an event, `<us>c|<key>` after a correction (cursors from before stay valid). */
export function encodeEventsCursor(cursor: EventsCursor): string {
  return Buffer.from(`${cursor.occurredUs}${cursor.correction ? 'c' : ''}|${cursor.idempotencyKey}`, 'utf8').toString('base64url');
}

function decodeEventsCursor(value: string): EventsCursor {
  const text = Buffer.from(value, 'base64url').toString('utf8');
  const bar = text.indexOf('|');
  const position = /^(-?\d{1,19})(c?)$/.exec(text.slice(0, bar));
  if (bar < 1 || !position || text.length - bar - 1 < 1) {
    invalidParam('cursor', 'cursor is not one this endpoint returned; pass next_cursor unchanged');
  }
  return { occurredUs: position[1]!, idempotencyKey: text.slice(bar + 1), correction: position[2] === 'c' };
}

export function parseEventsQuery(query: QueryParams): EventsQuery {
  rejectUnknownParams(query, ['agent', 'from', 'to', 'resource_id', 'cursor', 'limit', 'format']);
  const from = instantParam(query, 'from');
  const to = instantParam(query, 'to');
  if (from && to) requireOrdered(from, to);
  const resourceId = stringParam(query, 'resource_id');
  if (resourceId !== undefined && (resourceId.length === 0 || resourceId.length > 255)) {
    invalidParam('resource_id', 'resource_id must be 1 to 255 characters');
  }
  const format = stringParam(query, 'format');
  if (format !== undefined && format !== 'json' && format !== 'csv') invalidParam('format', 'format must be json or csv');
  const cursor = stringParam(query, 'cursor');
  return {
    selection: { agent: agentParam(query), from, to, resourceId },
    cursor: cursor === undefined ? null : decodeEventsCursor(cursor),
    limit: integerParam(query, 'limit', 1, MAX_EVENTS_PAGE, DEFAULT_EVENTS_PAGE),
    format,
  };
}

interface EventRow {
  rank: number;
  agent: AgentType;
  action_type: string;
  resource_id: string;
  quantity: number;
  idempotency_key: string;
  metadata: Record<string, unknown>;
  occurred_us: string;
  correction_type: 'void' | 'adjustment' | null;
  reason: string | null;
  voided_idempotency_key: string | null;
}

function cursorAfter(row: EventRow): EventsCursor {
  return { occurredUs: row.occurred_us, idempotencyKey: row.idempotency_key, correction: Number(row.rank) === 1 };
}

/** A tenant's raw events (the drill-down behind an overage): pages, or every page as a stream. */
export class UsageEventsService {
  constructor(private readonly dataSource: DataSource) {}

  async page(tenantId: string, selection: EventsSelection, cursor: EventsCursor | null, limit: number): Promise<UsageEventsPage> {
    // One row more than asked tells whether another page exists without a count.
    const rows = await this.rows(tenantId, selection, cursor, limit + 1);
    const data = rows.slice(0, limit);
    const last = rows.length > limit ? data[data.length - 1]! : null;
    return {
      data: data.map(toRecord),
      next_cursor: last ? encodeEventsCursor(cursorAfter(last)) : null,
    };
  }

  /** Every event of the selection from `cursor` on, page by page (one page in memory at a time). */
  async *stream(tenantId: string, selection: EventsSelection, cursor: EventsCursor | null = null): AsyncGenerator<UsageEventRecord[]> {
    let after = cursor;
    for (;;) {
      const rows = await this.rows(tenantId, selection, after, CSV_PAGE_SIZE);
      if (rows.length > 0) yield rows.map(toRecord);
      if (rows.length < CSV_PAGE_SIZE) return;
      const last = rows[rows.length - 1]!;
      after = cursorAfter(last);
    }
  }

  /**
   * Newest first, in at most two reads: the month of the page's upper bound (the cursor, `to` or
   * now) and the one before it, then -- only if that did not fill the page -- everything older.
   * usage_events is partitioned by month with a default partition, which rules out Postgres's
   * ordered scan of partitions: an unbounded newest-first read probes every month's index (one
   * descent per partition, ~0.4 ms at 15 months); bounded, it reads the two months it needs.
   */
  private async rows(tenantId: string, selection: EventsSelection, cursor: EventsCursor | null, limit: number): Promise<EventRow[]> {
    const upper = cursor ? new Date(Math.floor(Number(cursor.occurredUs) / 1000)) : (selection.to ?? new Date());
    const recentFrom = new Date(Date.UTC(upper.getUTCFullYear(), upper.getUTCMonth() - 1, 1));
    if (selection.from && selection.from.getTime() >= recentFrom.getTime()) return this.read(tenantId, selection, cursor, limit);
    const recent = await this.read(tenantId, { ...selection, from: recentFrom }, cursor, limit);
    if (recent.length === limit) return recent;
    const older = await this.read(tenantId, { ...selection, to: recentFrom }, cursor, limit - recent.length);
    return [...recent, ...older];
  }

  private read(tenantId: string, selection: EventsSelection, cursor: EventsCursor | null, limit: number): Promise<EventRow[]> {
    return this.dataSource.query(USAGE_EVENTS_PAGE_SQL, [
      tenantId,
      selection.agent ?? null,
      selection.from?.toISOString() ?? null,
      selection.to?.toISOString() ?? null,
      selection.resourceId ?? null,
      cursor?.occurredUs ?? null,
      cursor?.idempotencyKey ?? null,
      limit,
      cursor?.correction ? 1 : 0,
    ]);
  }
}

function toRecord(row: EventRow): UsageEventRecord {
  return {
    agent: row.agent,
    action_type: row.action_type,
    resource_id: row.resource_id,
    quantity: row.quantity,
    idempotency_key: row.idempotency_key,
    occurred_at: new Date(Math.floor(Number(row.occurred_us) / 1000)).toISOString(),
    metadata: row.metadata,
    kind: row.correction_type ? 'correction' : 'event',
    correction: row.correction_type
      ? { type: row.correction_type, reason: row.reason ?? '', voided_idempotency_key: row.voided_idempotency_key }
      : null,
  };
}

export const CSV_HEADER = 'occurred_at,agent,action_type,resource_id,quantity,idempotency_key,kind,correction_reason\r\n';

/** RFC 4180 lines; a text cell starting with = + - @ is prefixed with ' so a spreadsheet never runs it. */
export function csvLines(records: readonly UsageEventRecord[]): string {
  const cell = (value: string | number): string => {
    let text = String(value);
    // A number (a correction's negative quantity) is data, never a formula.
    if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return records
    .map(
      (r) =>
        [r.occurred_at, r.agent, r.action_type, r.resource_id, r.quantity, r.idempotency_key, r.kind, r.correction?.reason ?? '']
          .map(cell)
          .join(',') + '\r\n',
    )
    .join('');
}
