import type { DataSource } from 'typeorm';
import type { AgentType } from '@metering/usage';

/** Overage Stripe billed on a final invoice that a correction took back: an operator credits it. */
export interface BillingCreditRecord {
  id: string;
  tenantId: string;
  agent: AgentType;
  periodStart: Date;
  periodEnd: Date;
  quantity: number;
  amountCents: number;
  reportedQuantity: number;
  owedQuantity: number;
  status: 'open' | 'settled';
  settledAt: Date | null;
  settledBy: string | null;
  settlementNote: string | null;
  createdAt: Date;
}

export type NewBillingCredit = Pick<BillingCreditRecord, 'tenantId' | 'agent' | 'periodStart' | 'periodEnd' | 'quantity' | 'amountCents' | 'reportedQuantity' | 'owedQuantity'>;

/** The `billing_credits` table: written by the overage reporter, settled by an operator (CLI). */
export class BillingCreditsRepository {
  constructor(private readonly db: DataSource) {}

  /** Records a credit; null when this (period, owed total) already has one (a rerun finds it again). */
  async record(credit: NewBillingCredit, at: Date): Promise<BillingCreditRecord | null> {
    const [row] = (await this.db.query(
      `INSERT INTO billing_credits (tenant_id, agent, period_start, period_end, quantity, amount_cents, reported_quantity, owed_quantity, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (tenant_id, agent, period_start, owed_quantity) DO NOTHING
       RETURNING *`,
      [credit.tenantId, credit.agent, credit.periodStart, credit.periodEnd, credit.quantity, credit.amountCents, credit.reportedQuantity, credit.owedQuantity, at],
    )) as Row[];
    return row ? toRecord(row) : null;
  }

  /** Open credits, oldest first; one tenant's when given. */
  async listOpen(tenantId?: string): Promise<BillingCreditRecord[]> {
    const rows = (await this.db.query(
      `SELECT * FROM billing_credits WHERE status = 'open' AND ($1::uuid IS NULL OR tenant_id = $1::uuid) ORDER BY created_at, id`,
      [tenantId ?? null],
    )) as Row[];
    return rows.map(toRecord);
  }

  /** Marks an open credit settled (the operator issued it in Stripe); null when no open credit has this id. */
  async settle(id: string, settledBy: string, note: string, at: Date): Promise<BillingCreditRecord | null> {
    const [row] = (await this.db.query(
      `UPDATE billing_credits SET status = 'settled', settled_at = $4, settled_by = $2, settlement_note = $3
        WHERE id = $1 AND status = 'open'
       RETURNING *`,
      [id, settledBy, note, at],
    )) as [Row[], number];
    return row && row[0] ? toRecord(row[0]) : null;
  }

  async countOpen(): Promise<number> {
    const [{ n }] = (await this.db.query(`SELECT count(*)::int AS n FROM billing_credits WHERE status = 'open'`)) as [{ n: number }];
    return n;
  }
}

interface Row {
  id: string;
  tenant_id: string;
  agent: AgentType;
  period_start: Date;
  period_end: Date;
  quantity: string;
  amount_cents: string;
  reported_quantity: string;
  owed_quantity: string;
  status: 'open' | 'settled';
  settled_at: Date | null;
  settled_by: string | null;
  settlement_note: string | null;
  created_at: Date;
}

function toRecord(row: Row): BillingCreditRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    agent: row.agent,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    quantity: Number(row.quantity),
    amountCents: Number(row.amount_cents),
    reportedQuantity: Number(row.reported_quantity),
    owedQuantity: Number(row.owed_quantity),
    status: row.status,
    settledAt: row.settled_at,
    settledBy: row.settled_by,
    settlementNote: row.settlement_note,
    createdAt: row.created_at,
  };
}
