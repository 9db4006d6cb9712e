import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { AgentType } from '../domain/agent-type';

/** What reconciliation found about a counter it holds. */
export interface NewCounterHold {
  tenantId: string;
  agent: AgentType;
  periodStart: Date;
  counterCount: number;
  eventCount: number;
  driftRatio: number;
}

/** A counter billing will not use until an operator resolves the hold. */
export interface CounterHold extends NewCounterHold {
  id: string;
  createdAt: Date;
  resolvedAt: Date | null;
  resolution: string | null;
}

/** What resolving a hold did. */
export interface HoldResolution {
  hold: CounterHold;
  /** The counter's value after the resolution (set to its events' sum with `correct`). */
  count: number;
}

type Db = DataSource | EntityManager | QueryRunner;

function toHold(row: Record<string, unknown>): CounterHold {
  return {
    id: row.id as string,
    tenantId: row.tenant_id as string,
    agent: row.agent as AgentType,
    periodStart: row.period_start as Date,
    counterCount: Number(row.counter_count),
    eventCount: Number(row.event_count),
    driftRatio: Number(row.drift_ratio),
    createdAt: row.created_at as Date,
    resolvedAt: (row.resolved_at as Date | null) ?? null,
    resolution: (row.resolution as string | null) ?? null,
  };
}

/**
 * Holds on counters reconciliation found drifting beyond its tolerance (usage_counter_holds).
 * Billing skips a held counter (overage-candidates.query.ts) until an operator resolves it.
 */
export class CounterHoldsRepository {
  constructor(private readonly db: Db) {}

  /** Places holds in one statement; a counter already on hold keeps its first, open hold. */
  async place(holds: readonly NewCounterHold[]): Promise<number> {
    if (holds.length === 0) return 0;
    const rows = (await this.db.query(
      `INSERT INTO usage_counter_holds (tenant_id, agent, period_start, counter_count, event_count, drift_ratio)
       SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::timestamptz[], $4::bigint[], $5::bigint[], $6::float8[])
       ON CONFLICT (tenant_id, agent, period_start) WHERE resolved_at IS NULL DO NOTHING
       RETURNING id`,
      [
        holds.map((h) => h.tenantId),
        holds.map((h) => h.agent),
        holds.map((h) => h.periodStart),
        holds.map((h) => h.counterCount),
        holds.map((h) => h.eventCount),
        holds.map((h) => h.driftRatio),
      ],
    )) as unknown[];
    return rows.length;
  }

  /** Open holds, oldest first. */
  async listOpen(): Promise<CounterHold[]> {
    const rows = (await this.db.query(`SELECT * FROM usage_counter_holds WHERE resolved_at IS NULL ORDER BY created_at, id`)) as Array<Record<string, unknown>>;
    return rows.map(toHold);
  }

  /**
   * Resolves an open hold with the operator's note; with `correct`, the counter is first set to
   * the sum of its events and corrections (the source of truth). Null when no open hold has this id.
   */
  async resolve(id: string, resolution: string, correct: boolean, at: Date): Promise<HoldResolution | null> {
    const [row] = (await this.db.query(
      `WITH hold AS (
         UPDATE usage_counter_holds SET resolved_at = $3, resolution = $2 WHERE id = $1 AND resolved_at IS NULL RETURNING *
       ), corrected AS (
         UPDATE usage_counters c
            SET count = (SELECT coalesce(sum(e.quantity), 0) FROM usage_events e
                          WHERE e.tenant_id = c.tenant_id AND e.agent = c.agent AND e.period_start = c.period_start
                            AND e.occurred_at >= c.period_start AND e.occurred_at < c.period_end)
                      + (SELECT coalesce(sum(k.quantity_delta), 0) FROM usage_corrections k
                          WHERE k.tenant_id = c.tenant_id AND k.agent = c.agent AND k.period_start = c.period_start),
                updated_at = now()
           FROM hold h
          WHERE $4::boolean AND c.tenant_id = h.tenant_id AND c.agent = h.agent AND c.period_start = h.period_start
         RETURNING c.count
       )
       SELECT h.*, coalesce((SELECT count FROM corrected),
                            (SELECT c.count FROM usage_counters c WHERE c.tenant_id = h.tenant_id AND c.agent = h.agent AND c.period_start = h.period_start)) AS count
         FROM hold h`,
      [id, resolution, at, correct],
    )) as Array<Record<string, unknown>>;
    return row ? { hold: toHold(row), count: Number(row.count ?? 0) } : null;
  }
}
