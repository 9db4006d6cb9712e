import type { UsageStatsResponse } from '@metering/contract';
import { formatPeriod } from '../../components/usage/formatters';

const STATUS_LABELS: Readonly<Record<string, string>> = { active: 'Active', trialing: 'Trial' };

/** The plan card: plan name, subscription state and the current billing period. */
export function PlanSummary({ stats }: { stats: UsageStatsResponse | undefined }) {
  if (!stats) {
    return (
      <section className="plan-summary plan-summary--loading" aria-busy="true" aria-label="Your plan">
        <div className="usage-skeleton__line usage-skeleton__line--short" />
        <div className="usage-skeleton__line" />
      </section>
    );
  }
  return (
    <section className="plan-summary" aria-labelledby="plan-summary-heading">
      <div>
        <p className="plan-summary__eyebrow">Your plan</p>
        <h2 id="plan-summary-heading" className="plan-summary__name">
          {stats.plan.name}
          <span className={`status-pill status-pill--${stats.subscription_status}`}>
            {STATUS_LABELS[stats.subscription_status] ?? stats.subscription_status}
          </span>
        </h2>
      </div>
      <div className="plan-summary__period">
        <p className="plan-summary__eyebrow">Billing period</p>
        <p className="plan-summary__dates">{formatPeriod(stats.period_start, stats.period_end)}</p>
      </div>
    </section>
  );
}
