import type { AgentUsage, AlertLevel } from '@metering/contract';

/** The state a bar is in; drives its colour and the words next to it. */
export type UsageLevel = 'ok' | 'warning' | 'critical' | 'unlimited';

export const WARNING_PERCENT = 80;
export const LIMIT_PERCENT = 100;

/** green < 80 %, yellow 80-99 %, red >= 100 %; thresholds match the API's alerts. */
export function usageLevelOf(usage: AgentUsage): UsageLevel {
  if (usage.limit === null || usage.percentage === null) return 'unlimited';
  if (usage.percentage >= LIMIT_PERCENT) return 'critical';
  if (usage.percentage >= WARNING_PERCENT) return 'warning';
  return 'ok';
}

/** The words that carry the level for people who cannot see the colour. */
export function usageStatusText(level: UsageLevel): string | null {
  if (level === 'critical') return 'Limit reached';
  if (level === 'warning') return 'Approaching limit';
  return null;
}

const SEVERITY: Readonly<Record<AlertLevel, number>> = { warning: 1, error: 2 };

export function alertSeverity(level: AlertLevel): number {
  return SEVERITY[level];
}
