import type { AgentType } from './agent-types';

/** A window of the usage history: one UTC hour or one UTC day. */
export type HistoryWindow = 'hour' | 'day';

/** One point of a history series: the quantity committed in the window starting at `start`. */
export interface UsageHistoryPoint {
  start: string;
  count: number;
}

/** `GET /api/v1/usage/history`: counts per agent and window over [from, to), zero-filled. */
export interface UsageHistoryResponse {
  tenant_id: string;
  window: HistoryWindow;
  from: string;
  to: string;
  series: Partial<Record<AgentType, UsageHistoryPoint[]>>;
}

/** What the Stripe ledger holds for one agent's overage of a period. */
export type StripeReportStatus = 'none' | 'sent' | 'pending' | 'failed';

export interface PeriodAgentUsage {
  count: number;
  limit: number | null;
  overage: number;
  overage_cost_cents: number;
  stripe: {
    status: StripeReportStatus;
    sent_quantity: number;
    pending_quantity: number;
    failed_quantity: number;
  };
}

export interface UsagePeriod {
  period_start: string;
  period_end: string;
  usage: Record<AgentType, PeriodAgentUsage>;
  total_overage_cost_cents: number;
}

/** `GET /api/v1/usage/periods`: past billing periods, newest first. */
export interface UsagePeriodsResponse {
  data: UsagePeriod[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  next_cursor: string | null;
}

/** One raw usage event, as the drill-down lists it. */
export interface UsageEventRecord {
  agent: AgentType;
  action_type: string;
  resource_id: string;
  quantity: number;
  idempotency_key: string;
  occurred_at: string;
  metadata: Record<string, unknown>;
  /** `event`: agent work as reported; `correction`: an operator's void or adjustment of the counter. */
  kind: 'event' | 'correction';
  /**
   * Set on corrections (null on events). A correction's `quantity` is signed (negative takes usage
   * back), its `idempotency_key` is the correction key and `action_type` is `correction`.
   */
  correction: UsageCorrectionInfo | null;
}

/** Why and how a correction changed a counter, as the drill-down shows it. */
export interface UsageCorrectionInfo {
  type: 'void' | 'adjustment';
  reason: string;
  /** The event a void takes back; null for an adjustment. */
  voided_idempotency_key: string | null;
}

/** `GET /api/v1/usage/events`: newest first. */
export interface UsageEventsPage {
  data: UsageEventRecord[];
  next_cursor: string | null;
}

/** What happens when an agent reaches 100% of its limit. */
export type LimitPolicy = 'overage' | 'block';

/** `GET /api/v1/usage/check`: may `quantity` more units of `agent` be done in this period? */
export interface UsageCheckResponse {
  agent: AgentType;
  quantity: number;
  allowed: boolean;
  /** Units left before the limit (0 at or over it); null when unlimited. */
  remaining: number | null;
  limit: number | null;
  count: number;
  policy: LimitPolicy;
  /** Why: `unlimited`, `within_limit`, `overage_billed` or `limit_reached`. */
  reason: 'unlimited' | 'within_limit' | 'overage_billed' | 'limit_reached';
}
