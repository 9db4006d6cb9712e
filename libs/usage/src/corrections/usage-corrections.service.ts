import type { DataSource, EntityManager } from 'typeorm';
import { counter, systemClock } from '@metering/platform';
import type { Clock, Logger } from '@metering/platform';
import type { AgentType } from '../domain/agent-type';
import { lateEventDeadline } from '../domain/invoice-window';
import { CorrectionConflictError, CorrectionRefusedError, EventNotFoundError, TenantNotFoundError } from '../domain/usage-errors';
import type { CorrectionKind } from '../entities/usage-correction.entity';
import type { UsageAlertsService } from '../maintenance/usage-alerts.service';
import {
  ADD_TO_COUNTER_SQL,
  ADD_TO_ROLLUP_SQL,
  FIND_CORRECTION_SQL,
  FIND_VOIDING_CORRECTION_SQL,
  INSERT_CORRECTION_SQL,
  LOCK_CORRECTION_KEY_SQL,
  LOCK_COUNTER_SQL,
  LOCK_ROLLUPS_SQL,
  OPEN_COUNTER_SQL,
  PERIOD_END_SQL,
  TAKE_FROM_ROLLUPS_SQL,
} from './apply-correction.sql';
import type { AdjustmentRequest, CorrectionRequest, VoidRequest } from './correction-input';
import { planRollupReduction } from './rollup-reduction';
import { findStoredEvent } from './stored-event.query';

/** A stored correction, as the API answers it and the CLI prints it. */
export interface CorrectionRecord {
  id: string;
  tenantId: string;
  correctionKey: string;
  kind: CorrectionKind;
  agent: AgentType;
  periodStart: Date;
  quantityDelta: number;
  voidedIdempotencyKey: string | null;
  resourceId: string | null;
  occurredAt: Date;
  reason: string;
  actor: string;
  counterBefore: number;
  counterAfter: number;
  createdAt: Date;
}

export interface CorrectionResult {
  correction: CorrectionRecord;
  /** True when the key was already applied with the same content: nothing changed this time. */
  replayed: boolean;
}

export interface UsageCorrectionsOptions {
  logger: Logger;
  invoiceGraceSeconds: number;
  clock?: Clock;
  /**
   * Records the 80% / 100% alerts an upward correction crosses, as a commit of events does; the
   * worker's publish-usage-alerts job hands them to the usage-alerts queue.
   */
  alerts?: UsageAlertsService;
}

/** What a correction will change, once the stored state is known. */
interface Change {
  kind: CorrectionKind;
  agent: AgentType;
  periodStart: Date;
  delta: number;
  voidedKey: string | null;
  resourceId: string | null;
  occurredAt: Date;
}

const correctionsTotal = counter({
  name: 'usage_corrections_total',
  help: 'Corrections applied (void or adjustment); replays of an applied key are not counted',
  labelNames: ['kind'] as const,
});

/**
 * Voids stored events and adjusts counters, openly: each correction is an append-only row (who,
 * when, why, counter before and after) written in ONE transaction with the counter and the hourly
 * rollups it moves, so they always agree. Events are never edited or deleted. A correction key is
 * idempotent: the same key with the same content is a replay, with other content a conflict.
 * Billing follows the counter: the next overage report sends the difference to Stripe (or, for
 * a final invoice, records a credit for an operator).
 */
export class UsageCorrectionsService {
  private readonly clock: Clock;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: UsageCorrectionsOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  async apply(request: CorrectionRequest, actor: string): Promise<CorrectionResult> {
    const { periodEnd, ...result } = await this.dataSource.transaction(async (db) => {
      await db.query(LOCK_CORRECTION_KEY_SQL, [request.tenantId, request.correctionKey]);
      const [existing] = (await db.query(FIND_CORRECTION_SQL, [request.tenantId, request.correctionKey])) as Row[];
      if (existing) return { correction: this.replayOf(toRecord(existing), request), replayed: true, periodEnd: null };
      const change = request.type === 'void' ? await this.voidChange(db, request) : await this.adjustmentChange(db, request);
      return { ...(await this.write(db, request, change, actor)), replayed: false };
    });
    if (periodEnd) await this.raiseAlerts(result.correction, periodEnd);
    if (!result.replayed) {
      correctionsTotal.inc({ kind: result.correction.kind });
      const c = result.correction;
      this.options.logger.info('usage correction applied', {
        correctionId: c.id,
        tenantId: c.tenantId,
        kind: c.kind,
        agent: c.agent,
        periodStart: c.periodStart.toISOString(),
        quantityDelta: c.quantityDelta,
        counterBefore: c.counterBefore,
        counterAfter: c.counterAfter,
        actor: c.actor,
      });
    }
    return result;
  }

  /** After the commit: a failure only delays the alert to the next commit that moves the counter. */
  private async raiseAlerts(c: CorrectionRecord, periodEnd: Date): Promise<void> {
    if (!this.options.alerts || c.counterAfter <= c.counterBefore) return;
    const change = { tenantId: c.tenantId, agent: c.agent, periodStart: c.periodStart, periodEnd, previousCount: c.counterBefore, count: c.counterAfter };
    await this.options.alerts.recordCrossings([change]).catch((error: unknown) => {
      this.options.logger.warn('usage alert after a correction not recorded; the next commit of the counter records it', { error: String(error) });
    });
  }

  /** A tenant's corrections, newest first (the CLI's list). */
  async list(tenantId: string, limit = 100): Promise<CorrectionRecord[]> {
    const rows = (await this.dataSource.query(
      `SELECT * FROM usage_corrections WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
      [tenantId, limit],
    )) as Row[];
    return rows.map(toRecord);
  }

  /** Same key: the stored correction when the content is the same, a conflict otherwise. */
  private replayOf(stored: CorrectionRecord, request: CorrectionRequest): CorrectionRecord {
    const same =
      stored.kind === request.type &&
      stored.reason === request.reason &&
      (request.type === 'void'
        ? stored.voidedIdempotencyKey === request.idempotencyKey
        : stored.agent === request.agent &&
          stored.periodStart.getTime() === request.periodStart.getTime() &&
          stored.quantityDelta === request.quantity &&
          (request.occurredAt === null || stored.occurredAt.getTime() === request.occurredAt.getTime()));
    if (!same) {
      throw new CorrectionConflictError(
        'correction_key',
        `correction_key ${request.correctionKey} was already used for another correction (${stored.kind} of ${stored.quantityDelta} ` +
          `${stored.agent}, period ${stored.periodStart.toISOString()}, on ${stored.createdAt.toISOString()}); use a new key`,
      );
    }
    return stored;
  }

  private async voidChange(db: EntityManager, request: VoidRequest): Promise<Change> {
    const event = await findStoredEvent(db, request.tenantId, request.idempotencyKey);
    if (!event) throw new EventNotFoundError(request.tenantId, request.idempotencyKey);
    return {
      kind: 'void',
      agent: event.agent,
      periodStart: event.periodStart,
      delta: -event.quantity,
      voidedKey: event.idempotencyKey,
      resourceId: event.resourceId,
      occurredAt: event.occurredAt,
    };
  }

  private async adjustmentChange(db: EntityManager, request: AdjustmentRequest): Promise<Change> {
    const [{ period_end: periodEnd }] = (await db.query(PERIOD_END_SQL, [request.tenantId, request.periodStart])) as [{ period_end: Date | null }];
    if (!periodEnd) {
      const [tenant] = await db.query(`SELECT 1 FROM tenants WHERE id = $1`, [request.tenantId]);
      if (!tenant) throw new TenantNotFoundError(request.tenantId);
      throw new CorrectionRefusedError('period_start', `period_start ${request.periodStart.toISOString()} is not the start of a billing period of tenant ${request.tenantId}`);
    }
    const now = this.clock();
    const occurredAt = request.occurredAt ?? new Date(Math.max(request.periodStart.getTime(), Math.min(now.getTime(), periodEnd.getTime() - 1)));
    if (occurredAt < request.periodStart || occurredAt >= periodEnd) {
      throw new CorrectionRefusedError('occurred_at', `occurred_at must lie inside the period (${request.periodStart.toISOString()} to ${periodEnd.toISOString()})`);
    }
    if (request.quantity > 0 && now >= lateEventDeadline({ start: request.periodStart, end: periodEnd }, this.options.invoiceGraceSeconds)) {
      throw new CorrectionRefusedError(
        'quantity',
        `the invoice of the period ${request.periodStart.toISOString()} to ${periodEnd.toISOString()} is final: usage can no longer be added to it; bill it by hand`,
      );
    }
    await db.query(OPEN_COUNTER_SQL, [request.tenantId, request.agent, request.periodStart, periodEnd]);
    return {
      kind: 'adjustment',
      agent: request.agent,
      periodStart: request.periodStart,
      delta: request.quantity,
      voidedKey: null,
      resourceId: null,
      occurredAt,
    };
  }

  /** Counter, rollups and the correction row, counter first (the lock order of the commit statement). */
  private async write(db: EntityManager, request: CorrectionRequest, change: Change, actor: string): Promise<{ correction: CorrectionRecord; periodEnd: Date | null }> {
    const key = [request.tenantId, change.agent, change.periodStart];
    const [locked] = (await db.query(LOCK_COUNTER_SQL, key)) as Array<{ count: string; period_end: Date }>;
    // After the counter lock: a concurrent void of the same event (another key) has committed by
    // now, and this statement's snapshot sees it.
    if (change.voidedKey !== null) {
      const [voiding] = (await db.query(FIND_VOIDING_CORRECTION_SQL, [request.tenantId, change.voidedKey])) as Array<{ correction_key: string }>;
      if (voiding) {
        throw new CorrectionConflictError('idempotency_key', `the event ${change.voidedKey} is already voided by correction ${voiding.correction_key}`);
      }
    }
    const before = Number(locked?.count ?? 0);
    if (before + change.delta < 0) {
      throw new CorrectionRefusedError(
        request.type === 'void' ? 'idempotency_key' : 'quantity',
        `the ${change.agent} counter of the period ${change.periodStart.toISOString()} is ${before}; a correction of ${change.delta} would make it negative`,
      );
    }
    const [[updated]] = (await db.query(ADD_TO_COUNTER_SQL, [...key, change.delta])) as [Array<{ count: string }>, number];
    if (change.delta > 0) {
      await db.query(ADD_TO_ROLLUP_SQL, [...key, change.occurredAt, change.delta]);
    } else {
      const rollups = (await db.query(LOCK_ROLLUPS_SQL, key)) as Array<{ bucket_start: Date; count: string }>;
      const takes = planRollupReduction(
        rollups.map((r) => ({ bucketStart: r.bucket_start, count: Number(r.count) })),
        change.occurredAt,
        -change.delta,
      );
      if (takes.length > 0) {
        await db.query(TAKE_FROM_ROLLUPS_SQL, [...key, takes.map((t) => t.bucketStart), takes.map((t) => t.take)]);
      }
    }
    const [row] = (await db.query(INSERT_CORRECTION_SQL, [
      request.tenantId,
      request.correctionKey,
      change.kind,
      change.agent,
      change.periodStart,
      change.delta,
      change.voidedKey,
      change.resourceId,
      change.occurredAt,
      request.reason,
      actor,
      before,
      Number(updated!.count),
      this.clock(),
    ])) as Row[];
    return { correction: toRecord(row!), periodEnd: locked?.period_end ?? null };
  }
}

interface Row {
  id: string;
  tenant_id: string;
  correction_key: string;
  kind: CorrectionKind;
  agent: AgentType;
  period_start: Date;
  quantity_delta: number;
  voided_idempotency_key: string | null;
  resource_id: string | null;
  occurred_at: Date;
  reason: string;
  actor: string;
  counter_before: string;
  counter_after: string;
  created_at: Date;
}

function toRecord(row: Row): CorrectionRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    correctionKey: row.correction_key,
    kind: row.kind,
    agent: row.agent,
    periodStart: row.period_start,
    quantityDelta: Number(row.quantity_delta),
    voidedIdempotencyKey: row.voided_idempotency_key,
    resourceId: row.resource_id,
    occurredAt: row.occurred_at,
    reason: row.reason,
    actor: row.actor,
    counterBefore: Number(row.counter_before),
    counterAfter: Number(row.counter_after),
    createdAt: row.created_at,
  };
}

/** The wire shape (snake_case) of a correction: the API's answer and the CLI's --json. */
export function correctionToWire(c: CorrectionRecord): Record<string, unknown> {
  return {
    id: c.id,
    tenant_id: c.tenantId,
    correction_key: c.correctionKey,
    type: c.kind,
    agent: c.agent,
    period_start: c.periodStart.toISOString(),
    quantity_delta: c.quantityDelta,
    voided_idempotency_key: c.voidedIdempotencyKey,
    resource_id: c.resourceId,
    occurred_at: c.occurredAt.toISOString(),
    reason: c.reason,
    actor: c.actor,
    counter_before: c.counterBefore,
    counter_after: c.counterAfter,
    created_at: c.createdAt.toISOString(),
  };
}
