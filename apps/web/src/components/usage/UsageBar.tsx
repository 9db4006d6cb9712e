import { useId } from 'react';
import type { AgentType, AgentUsage } from '@metering/contract';
import { StatusIcon } from './StatusIcon';
import { AGENT_UNIT_LABELS, formatCents, formatCount, formatPercent } from './formatters';
import { displayPercent, usageLevelOf, usageStatusText } from './usage-level';

export interface UsageBarProps {
  agent: AgentType;
  usage: AgentUsage;
}

function valueText(usage: AgentUsage, unit: string, status: string | null): string {
  const base = `${formatCount(usage.count)} of ${formatCount(usage.limit ?? 0)} ${unit} (${formatPercent(displayPercent(usage))})`;
  const over = usage.overage > 0 ? `, ${formatCount(usage.overage)} over the limit` : '';
  return status ? `${base}, ${status.toLowerCase()}${over}` : base;
}

/**
 * One agent's usage: "Emails processed 812 / 1,000", the percentage and a progress bar coloured
 * green / yellow / red. The state is also written out ("Limit reached"), never colour alone.
 */
export function UsageBar({ agent, usage }: UsageBarProps) {
  const labelId = useId();
  const statusId = useId();
  const { title, unit } = AGENT_UNIT_LABELS[agent];
  const level = usageLevelOf(usage);
  const status = usageStatusText(level);

  if (level === 'unlimited' || usage.limit === null) {
    return (
      <li className="usage-bar usage-bar--unlimited" data-agent={agent} data-level={level}>
        <div className="usage-bar__header">
          <span className="usage-bar__label">
            <span id={labelId} className="usage-bar__title">
              {title}
            </span>
            <span className="usage-bar__numbers">{formatCount(usage.count)}</span>
          </span>
        </div>
        <p className="usage-bar__status usage-bar__status--muted">Unlimited on your plan</p>
      </li>
    );
  }

  // Label, fill and colour all come from the counts (usage-level.ts), so they always agree with the banner.
  const percent = displayPercent(usage);
  const fill = Math.min(100, Math.max(0, percent));
  return (
    <li className={`usage-bar usage-bar--${level}`} data-agent={agent} data-level={level}>
      <div className="usage-bar__header">
        <span className="usage-bar__label">
          <span id={labelId} className="usage-bar__title">
            {title}
          </span>
          <span className="usage-bar__numbers">
            {formatCount(usage.count)} / {formatCount(usage.limit)}
          </span>
        </span>
        <span className="usage-bar__percent">{formatPercent(percent)}</span>
      </div>
      <div
        className="usage-bar__track"
        role="progressbar"
        aria-labelledby={labelId}
        aria-describedby={status || usage.overage > 0 ? statusId : undefined}
        aria-valuemin={0}
        aria-valuemax={usage.limit}
        aria-valuenow={Math.min(usage.count, usage.limit)}
        aria-valuetext={valueText(usage, unit, status)}
      >
        <div className="usage-bar__fill" style={{ width: `${fill}%` }} />
      </div>
      {(status || usage.overage > 0) && (
        <p id={statusId} className="usage-bar__status">
          {status && (
            <span className="usage-bar__badge">
              <StatusIcon kind={level === 'critical' ? 'critical' : 'warning'} /> {status}
            </span>
          )}
          {usage.overage > 0 && (
            <span className="usage-bar__overage">
              {formatCount(usage.overage)} over limit · {formatCents(usage.overage_cost_cents)} overage
            </span>
          )}
        </p>
      )}
    </li>
  );
}
