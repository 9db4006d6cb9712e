import type { DataSource } from 'typeorm';
import { systemClock } from '@metering/platform';
import type { Clock, PlanLimitsConfig } from '@metering/platform';
import type { UsageCheckResponse } from '@metering/contract';
import type { AgentType } from '../domain/agent-type';
import { QuotaExceededError, SubscriptionNotFoundError } from '../domain/usage-errors';
import type { LimitPolicy, PerAgent, PlanLimits } from '../entities/plan.entity';
import type { ValidEvent } from '../events/valid-event';
import { currentPeriodCounts } from '../stats/current-period-counts';
import { limitFor } from '../stats/usage-stats.calculator';
import { UsageStatsLoader } from '../stats/usage-stats.loader';
import { decideQuota, policyFor } from './quota-decision';
import { SharedLoadCache } from '../support/shared-load-cache';
import { withinBudget } from '../support/within-budget';

/** How stale a check may be: a counter committed now is seen by every check within this long. */
export const QUOTA_STALENESS_MS = 1000;

/**
 * How long ingest remembers that a tenant's plan blocks no agent, and skips reading its counters:
 * a plan switched to `block` is enforced at the API within this long (the worker enforces it
 * from its own few-second cache in any case). Most tenants never block, and their ingest then
 * costs no Postgres read.
 */
export const NON_BLOCKING_MEMORY_MS = 5000;
const NON_BLOCKING_MAX_TENANTS = 100_000;

/** How long ingest waits for the quota state before admitting the events anyway. */
export const ADMIT_WAIT_MS = 250;

export interface UsageQuotaServiceOptions {
  trialLimits: PlanLimitsConfig;
  clock?: Clock;
  /** At most QUOTA_STALENESS_MS (the documented bound); tests pass 0 to read every time. */
  staleMs?: number;
}

/** What a check needs of a tenant: limits, policies and the current period's counts. */
interface QuotaState {
  limits: PlanLimits;
  policies: PerAgent<LimitPolicy>;
  counts: Partial<Record<string, number>>;
}

/** Distinct (agent, quantity) answers kept per tenant state; agents mostly ask for 1. */
const MAX_ANSWERS_PER_STATE = 16;

/**
 * `check` (may this agent do `quantity` more units in this period?) and `admit` (the ingest-side
 * refusal of the `block` policy). Answers from a per-process cache refreshed at most every
 * `staleMs` (<= 1 s) per tenant; misses of concurrent requests share one query (UsageStatsLoader),
 * so a check costs no more than a usage read and usually nothing but a Map lookup.
 *
 * The bound is on the counter: events accepted but not yet committed by a worker are not in it.
 * The worker refuses those too (BlockQuotaGuard), against the counter it is about to move.
 */
export class UsageQuotaService {
  private readonly clock: Clock;
  private readonly loader: UsageStatsLoader;
  /** Each tenant's state, loaded at most once per staleMs and shared by every request meanwhile. */
  private readonly states: SharedLoadCache<QuotaState | null>;
  /** The answers given from a loaded state, by agent and quantity: the same question, the same object. */
  private readonly answers = new WeakMap<QuotaState, Map<string, Readonly<UsageCheckResponse>>>();
  /** When each tenant was last seen with a plan that blocks no agent (ingest skips it meanwhile). */
  private readonly nonBlocking = new Map<string, number>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: UsageQuotaServiceOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.loader = new UsageStatsLoader(dataSource);
    this.states = new SharedLoadCache(Math.min(options.staleMs ?? QUOTA_STALENESS_MS, QUOTA_STALENESS_MS));
  }

  /** @throws SubscriptionNotFoundError when the tenant has no subscription. */
  async check(tenantId: string, agent: AgentType, quantity: number): Promise<UsageCheckResponse> {
    const state = await this.stateOf(tenantId);
    if (!state) throw new SubscriptionNotFoundError(tenantId);
    return decide(state, agent, quantity);
  }

  /**
   * `check`'s answer without waiting, when this tenant's state is in memory and fresh (the same
   * bound); undefined otherwise (then call `check`). The hot path of GET /api/v1/usage/check:
   * within the interval the same question gets the same frozen object, so a caller may keep what
   * it derived from it (e.g. the serialized body) by identity.
   */
  checkCached(tenantId: string, agent: AgentType, quantity: number): Readonly<UsageCheckResponse> | undefined {
    const state = this.states.settled(tenantId, this.clock().getTime())?.value;
    if (!state) return undefined;
    const key = `${agent}:${quantity}`;
    let answers = this.answers.get(state);
    if (!answers) this.answers.set(state, (answers = new Map()));
    let answer = answers.get(key);
    if (!answer) {
      answer = Object.freeze(decide(state, agent, quantity));
      if (answers.size < MAX_ANSWERS_PER_STATE) answers.set(key, answer);
    }
    return answer;
  }

  /**
   * Refuses (QuotaExceededError, nothing enqueued) when an agent under `block` would pass its limit
   * with these events; the sum of the request counts, so a batch cannot slip past one unit at a time.
   * A tenant without a subscription is left to the worker, which rejects it as before; so is
   * everything while Postgres does not answer within ADMIT_WAIT_MS (see stateForIngest).
   */
  async admit(events: readonly ValidEvent[]): Promise<void> {
    const quantities = new Map<string, Map<AgentType, number>>();
    for (const event of events) {
      const byAgent = quantities.get(event.tenantId) ?? new Map<AgentType, number>();
      byAgent.set(event.agent, (byAgent.get(event.agent) ?? 0) + event.quantity);
      quantities.set(event.tenantId, byAgent);
    }
    const now = this.clock().getTime();
    for (const [tenantId, byAgent] of quantities) {
      const seen = this.nonBlocking.get(tenantId);
      if (seen !== undefined && now - seen < NON_BLOCKING_MEMORY_MS) continue;
      const state = await this.stateForIngest(tenantId);
      if (!state) continue;
      if (!Object.values(state.policies).includes('block')) {
        if (this.nonBlocking.size >= NON_BLOCKING_MAX_TENANTS) this.nonBlocking.clear();
        this.nonBlocking.set(tenantId, now);
        continue;
      }
      this.nonBlocking.delete(tenantId);
      for (const [agent, quantity] of byAgent) {
        const decision = decide(state, agent, quantity);
        if (!decision.allowed) throw new QuotaExceededError(tenantId, agent, decision.limit!, decision.count, quantity);
      }
    }
  }

  /**
   * Ingest needs only Redis and must go on while Postgres is away (or slow): the state is waited
   * for at most `ADMIT_WAIT_MS`, and an error or a late answer admits the events (fail open). The
   * worker, which needs Postgres to commit anyway, refuses those above a blocked limit.
   */
  private stateForIngest(tenantId: string): Promise<QuotaState | null> {
    return withinBudget(this.stateOf(tenantId), ADMIT_WAIT_MS, null);
  }

  private stateOf(tenantId: string): Promise<QuotaState | null> {
    const now = this.clock();
    return this.states.get(tenantId, now.getTime(), () => this.load(tenantId, now));
  }

  private async load(tenantId: string, now: Date): Promise<QuotaState | null> {
    const row = await this.loader.load(tenantId);
    if (!row) return null;
    const { counts } = await currentPeriodCounts(this.dataSource, tenantId, row, now);
    const trial = row.plan_code === null;
    return {
      limits: trial ? this.options.trialLimits : (row.limits ?? {}),
      policies: trial ? {} : (row.limit_policies ?? {}),
      counts,
    };
  }
}

function decide(state: QuotaState, agent: AgentType, quantity: number): UsageCheckResponse {
  return decideQuota(agent, quantity, state.counts[agent] ?? 0, limitFor(state.limits, agent), policyFor(state.policies, agent));
}
