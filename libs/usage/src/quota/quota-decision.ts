import type { LimitPolicy, UsageCheckResponse } from '@metering/contract';
import type { AgentType } from '../domain/agent-type';
import type { PerAgent } from '../entities/plan.entity';

/** The policy of `agent` under a plan's `limit_policies`; anything but `block` is `overage`. */
export function policyFor(policies: PerAgent<LimitPolicy> | null | undefined, agent: AgentType): LimitPolicy {
  return policies?.[agent] === 'block' ? 'block' : 'overage';
}

/**
 * Pure: whether `quantity` more units fit. `overage` always allows (above the limit it is billed);
 * `block` allows only while count + quantity stays within the limit.
 */
export function decideQuota(agent: AgentType, quantity: number, count: number, limit: number | null, policy: LimitPolicy): UsageCheckResponse {
  if (limit === null) return { agent, quantity, allowed: true, remaining: null, limit, count, policy, reason: 'unlimited' };
  const remaining = Math.max(0, limit - count);
  if (count + quantity <= limit) return { agent, quantity, allowed: true, remaining, limit, count, policy, reason: 'within_limit' };
  if (policy === 'overage') return { agent, quantity, allowed: true, remaining, limit, count, policy, reason: 'overage_billed' };
  return { agent, quantity, allowed: false, remaining, limit, count, policy, reason: 'limit_reached' };
}
