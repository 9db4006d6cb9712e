import type { AgentUsage } from '@metering/contract';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** The rate is measured over at most this much of the recent past. */
export const FORECAST_LOOKBACK_MS = 7 * DAY_MS;
/** Until a full day of usage exists, the usage so far is spread over a day (no 1-hour extrapolation). */
export const FORECAST_MIN_WINDOW_MS = DAY_MS;

/** One agent's recent usage in the period, from the hourly rollups. */
export interface RecentUsage {
  /** Start of the first hour with usage in this period; null when there is none. */
  firstUsageMs: number | null;
  /** The quantity committed since `since`. */
  recentCount: number;
  /** Where `recentCount` starts: the later of the period start's hour and now - 7 days, hour-aligned. */
  sinceMs: number;
}

/**
 * Units per millisecond over the recent window: from the later of the first hour with usage and
 * `since` (so a quiet start of the period does not dilute the rate) to now, and at least a day.
 */
export function recentRatePerMs(recent: RecentUsage | undefined, nowMs: number): number {
  if (!recent || recent.firstUsageMs === null || recent.recentCount <= 0) return 0;
  const windowStart = Math.max(recent.sinceMs, recent.firstUsageMs);
  return recent.recentCount / Math.max(nowMs - windowStart, FORECAST_MIN_WINDOW_MS);
}

export type Forecast = Pick<AgentUsage, 'projected_count' | 'projected_overage_cost_cents' | 'projected_limit_date'>;

/**
 * Pure: the count at period end if the recent rate holds, its overage cost, and when it crosses
 * the limit (null when unlimited, already reached, idle, or not before period end).
 */
export function forecastAgent(input: {
  count: number;
  limit: number | null;
  unitCents: number;
  ratePerMs: number;
  nowMs: number;
  periodEndMs: number;
}): Forecast {
  const remainingMs = Math.max(0, input.periodEndMs - input.nowMs);
  const projected = input.count + Math.round(input.ratePerMs * remainingMs);
  if (input.limit === null) return { projected_count: projected, projected_overage_cost_cents: 0, projected_limit_date: null };
  const cost = Math.max(0, projected - input.limit) * input.unitCents;
  let limitDate: string | null = null;
  if (input.count < input.limit && input.ratePerMs > 0) {
    const reachMs = input.nowMs + (input.limit - input.count) / input.ratePerMs;
    if (reachMs < input.periodEndMs) limitDate = new Date(Math.ceil(reachMs)).toISOString();
  }
  return { projected_count: projected, projected_overage_cost_cents: cost, projected_limit_date: limitDate };
}
