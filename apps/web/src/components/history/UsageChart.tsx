import { useId } from 'react';
import { Area, CartesianGrid, ComposedChart, Legend, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { AgentType, AgentUsage } from '@metering/contract';
import { AGENT_UNIT_LABELS, formatCount } from '../usage/formatters';
import type { ChartDay } from './chart-series';

const dayLabel = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
export const formatDay = (iso: string): string => dayLabel.format(new Date(iso));

/** What the chart shows, in one sentence, for screen readers (the table below has every number). */
export function chartDescription(agent: AgentType, usage: AgentUsage, days: readonly ChartDay[]): string {
  const { title, unit } = AGENT_UNIT_LABELS[agent];
  const limit = usage.limit === null ? 'no limit' : `a limit of ${formatCount(usage.limit)}`;
  const end = days.length > 0 ? formatDay(days[days.length - 1]!.start) : 'period end';
  const reach = usage.projected_limit_date ? ` It reaches the limit on ${formatDay(usage.projected_limit_date)} at the current rate.` : '';
  return `${title} this period: ${formatCount(usage.count)} ${unit} so far, ${limit}, forecast ${formatCount(usage.projected_count)} by ${end}.${reach}`;
}

/**
 * Cumulative usage of one agent over the period (filled), the forecast to period end (dashed)
 * and the limit (a red line). Recharts draws SVG; the figure carries a text description and the
 * table next to it holds the same numbers.
 */
export function UsageChart({ agent, usage, days }: { agent: AgentType; usage: AgentUsage; days: readonly ChartDay[] }) {
  const captionId = useId();
  const description = chartDescription(agent, usage, days);
  return (
    <figure className="usage-chart" aria-labelledby={captionId}>
      <div className="usage-chart__canvas" aria-hidden="true">
        <ResponsiveContainer width="100%" height={240}>
          <ComposedChart data={days as ChartDay[]} margin={{ top: 12, right: 16, bottom: 0, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid stroke="#e5e7eb" vertical={false} />
            <XAxis dataKey="start" tickFormatter={formatDay} minTickGap={24} tick={{ fill: '#4b5563', fontSize: 12 }} />
            <YAxis domain={[0, 'auto']} tickFormatter={formatCount} width={56} tick={{ fill: '#4b5563', fontSize: 12 }} allowDecimals={false} />
            <Tooltip labelFormatter={(label) => formatDay(String(label))} formatter={(value) => formatCount(Number(value))} />
            <Legend verticalAlign="top" height={28} iconType="plainline" />
            <Area type="monotone" dataKey="actual" name="Used" stroke="#4f46e5" fill="#c7d2fe" strokeWidth={2} isAnimationActive={false} connectNulls={false} />
            <Line type="linear" dataKey="forecast" name="Forecast" stroke="#4f46e5" strokeDasharray="6 4" strokeWidth={2} dot={false} isAnimationActive={false} />
            {usage.limit !== null && (
              <ReferenceLine y={usage.limit} ifOverflow="extendDomain" stroke="#dc2626" strokeWidth={2} label={{ value: `Limit ${formatCount(usage.limit)}`, position: 'insideTopLeft', fill: '#991b1b', fontSize: 12 }} />
            )}
          </ComposedChart>
        </ResponsiveContainer>
      </div>
      <figcaption id={captionId} className="usage-chart__caption">{description}</figcaption>
    </figure>
  );
}
