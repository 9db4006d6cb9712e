import type { AgentUsage, UsageHistoryPoint } from '@metering/contract';

/** One day of the chart: the cumulative count so far (null after today) and the forecast (null before today). */
export interface ChartDay {
  start: string;
  daily: number | null;
  actual: number | null;
  forecast: number | null;
}

/**
 * Cumulative usage per day from the daily series, up to `nowMs`, and the forecast from today's
 * total straight to `projected_count` at period end. Pure, so the chart and its table agree.
 */
export function chartDays(points: readonly UsageHistoryPoint[], usage: AgentUsage, nowMs: number): ChartDay[] {
  const days: ChartDay[] = [];
  let total = 0;
  let todayIndex = -1;
  points.forEach((point, index) => {
    const startMs = new Date(point.start).getTime();
    if (startMs <= nowMs) {
      total += point.count;
      todayIndex = index;
      days.push({ start: point.start, daily: point.count, actual: total, forecast: null });
    } else {
      days.push({ start: point.start, daily: null, actual: null, forecast: null });
    }
  });
  if (todayIndex < 0 || todayIndex === days.length - 1) return days;
  // The forecast starts where the actual line ends and reaches projected_count on the last day.
  const from = days[todayIndex]!.actual!;
  const steps = days.length - 1 - todayIndex;
  const to = Math.max(from, usage.projected_count);
  for (let i = todayIndex; i < days.length; i++) {
    days[i]!.forecast = Math.round(from + ((to - from) * (i - todayIndex)) / steps);
  }
  return days;
}
