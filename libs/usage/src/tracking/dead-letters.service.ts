import type { DataSource } from 'typeorm';
import { systemClock } from '@metering/platform';
import type { Clock, Logger } from '@metering/platform';
import type { OccurredAtWindow } from '../domain/event-rules';
import type { DeadLetterReason } from '../entities/usage-dead-letter.entity';
import { parseWireEvent } from '../events/parse-event';
import type { ValidEvent } from '../events/valid-event';
import { UsageTracker } from './usage-tracker.service';

/** One stored dead letter, as the CLI lists it. */
export interface DeadLetterRow {
  id: string;
  tenantId: string;
  idempotencyKey: string;
  reason: DeadLetterReason;
  detail: string;
  jobId: string | null;
  event: Record<string, unknown>;
  createdAt: Date;
}

/** What became of one replayed dead letter. */
export interface ReplayLine {
  id: string;
  tenantId: string;
  idempotencyKey: string;
  /** counted / duplicate: resolved; still_refused: stays open (or superseded by a new reason). */
  outcome: 'counted' | 'duplicate' | 'still_refused';
  detail?: string;
}

export interface DeadLettersOptions {
  logger: Logger;
  clock?: Clock;
  /** The window replayed events are parsed with (`occurredAtWindow(config.usage)`). */
  window: OccurredAtWindow;
  invoiceGraceSeconds: number;
}

function toRow(row: Record<string, unknown>): DeadLetterRow {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    idempotencyKey: row.idempotency_key as string,
    reason: row.reason as DeadLetterReason,
    detail: row.detail as string,
    jobId: (row.job_id as string | null) ?? null,
    event: row.event as Record<string, unknown>,
    createdAt: row.created_at as Date,
  };
}

/**
 * The operator's side of usage_dead_letters: list what the worker could not count, and replay it
 * once the cause is fixed (the tenant or subscription exists again, a clock is fixed). A replay
 * goes through the tracker like any event -- parsed, checked, committed once -- so replaying twice,
 * or replaying an event that was meanwhile counted, counts nothing twice.
 */
export class DeadLettersService {
  private readonly clock: Clock;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: DeadLettersOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Open dead letters (not replayed), oldest first. */
  async listOpen(filter: { reason?: DeadLetterReason; tenantId?: string; limit?: number } = {}): Promise<DeadLetterRow[]> {
    const rows = (await this.dataSource.query(
      `SELECT * FROM usage_dead_letters
        WHERE replayed_at IS NULL AND ($1::varchar IS NULL OR reason = $1) AND ($2::uuid IS NULL OR tenant_id = $2)
        ORDER BY created_at, id LIMIT $3`,
      [filter.reason ?? null, filter.tenantId ?? null, filter.limit ?? 100],
    )) as Array<Record<string, unknown>>;
    return rows.map(toRow);
  }

  /** Replays the open dead letters with these ids (all open ones of `tenantId`/`reason` when none given). */
  async replay(filter: { ids?: readonly string[]; reason?: DeadLetterReason; tenantId?: string }): Promise<ReplayLine[]> {
    const letters = filter.ids?.length
      ? ((await this.dataSource.query(`SELECT * FROM usage_dead_letters WHERE replayed_at IS NULL AND id = ANY($1::uuid[]) ORDER BY created_at, id`, [filter.ids])) as Array<Record<string, unknown>>).map(toRow)
      : await this.listOpen({ ...filter, limit: 10_000 });
    const now = this.clock();
    const tracker = new UsageTracker(this.dataSource, { logger: this.options.logger, clock: this.clock, invoiceGraceSeconds: this.options.invoiceGraceSeconds });
    const lines: ReplayLine[] = [];
    const parsed: Array<{ letter: DeadLetterRow; event: ValidEvent }> = [];
    for (const letter of letters) {
      const result = parseWireEvent(letter.tenantId, letter.event, '', { now, window: this.options.window });
      if (result.ok) parsed.push({ letter, event: result.event });
      else lines.push({ id: letter.id, tenantId: letter.tenantId, idempotencyKey: letter.idempotencyKey, outcome: 'still_refused', detail: result.errors.map((e) => `${e.field}: ${e.message}`).join('; ') });
    }
    const resolved: string[] = [];
    if (parsed.length > 0) {
      const { groups } = await tracker.track(parsed.map(({ event }) => [event]));
      groups.forEach((group, index) => {
        const { letter } = parsed[index]!;
        const base = { id: letter.id, tenantId: letter.tenantId, idempotencyKey: letter.idempotencyKey };
        if (group.status === 'failed') throw group.error;
        const result = group.results[0]!;
        if (result.outcome === 'dead_lettered') {
          // Refused for another reason now: that reason has its own open row; this one is superseded.
          if (result.deadLetter!.reason !== letter.reason) resolved.push(letter.id);
          lines.push({ ...base, outcome: 'still_refused', detail: `${result.deadLetter!.reason}: ${result.deadLetter!.detail}` });
        } else {
          resolved.push(letter.id);
          lines.push({ ...base, outcome: result.outcome === 'recorded' ? 'counted' : 'duplicate' });
        }
      });
    }
    if (resolved.length > 0) {
      await this.dataSource.query(`UPDATE usage_dead_letters SET replayed_at = $2 WHERE id = ANY($1::uuid[]) AND replayed_at IS NULL`, [resolved, now]);
    }
    return lines;
  }
}
