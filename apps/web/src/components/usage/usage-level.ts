import type { AgentUsage, UsageAlertLevel } from '@metering/contract';

/** The state a bar is in; drives its colour and the words next to it. */
export type UsageLevel = 'ok' | 'warning' | 'critical' | 'unlimited';

export const WARNING_PERCENT = 80;
export const LIMIT_PERCENT = 100;

/**
 * green < 80 %, yellow 80 % up to the limit, red at count >= limit: decided on the counts in
 * integer arithmetic, as the API decides its alerts, never on the rounded percentage (1,999 of
 * 2,000 rounds to 100.0 % but is a warning, not "Limit reached").
 */
export function usageLevelOf(usage: AgentUsage): UsageLevel {
  if (usage.limit === null) return 'unlimited';
  if (usage.limit === 0) return usage.count > 0 ? 'critical' : 'ok';
  if (usage.count >= usage.limit) return 'critical';
  if (usage.count * 100 >= usage.limit * WARNING_PERCENT) return 'warning';
  return 'ok';
}

/**
 * The percentage the bar shows and fills to, one decimal, consistent with its level: rounded
 * down below the limit (1,999 of 2,000 is 99.9 %, never 100 % while not reached).
 */
export function displayPercent(usage: AgentUsage): number {
  if (usage.limit === null) return 0;
  if (usage.limit === 0) return usage.count > 0 ? 100 : 0;
  return Math.floor((usage.count * 1000) / usage.limit) / 10;
}

/** The words that carry the level for people who cannot see the colour. */
export function usageStatusText(level: UsageLevel): string | null {
  if (level === 'critical') return 'Limit reached';
  if (level === 'warning') return 'Approaching limit';
  return null;
}

const SEVERITY: Readonly<Record<UsageAlertLevel, number>> = { forecast: 0, warning: 1, error: 2 };

export function alertSeverity(level: UsageAlertLevel): number {
  return SEVERITY[level];
}
