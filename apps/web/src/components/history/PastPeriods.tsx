import { useInfiniteQuery } from '@tanstack/react-query';
import { AGENT_TYPES } from '@metering/contract';
import type { StripeReportStatus, UsagePeriod, UsagePeriodsResponse } from '@metering/contract';
import { fetchPeriods } from '../../api/usage-history-api.client';
import { useAuthToken } from '../../auth/auth-token.store';
import { AGENT_UNIT_LABELS, formatCents, formatCount, formatPeriod } from '../usage/formatters';
import { QueryLoading, QueryProblem } from './QueryProblem';

const STRIPE_LABELS: Readonly<Record<StripeReportStatus, string>> = {
  none: 'Nothing to bill',
  sent: 'Billed',
  pending: 'Pending',
  failed: 'Failed',
};

/** The period's Stripe state: the worst of its agents (failed, then pending, then billed). */
export function periodStripeStatus(period: UsagePeriod): StripeReportStatus {
  const statuses = AGENT_TYPES.map((agent) => period.usage[agent].stripe.status);
  for (const status of ['failed', 'pending', 'sent'] as const) if (statuses.includes(status)) return status;
  return 'none';
}

/** "Past periods": totals per agent, overage cost and whether Stripe has been told, newest first. */
export function PastPeriods() {
  const token = useAuthToken();
  const periods = useInfiniteQuery<UsagePeriodsResponse, Error>({
    queryKey: ['usage-periods', token],
    queryFn: ({ pageParam, signal }) => fetchPeriods(token!, pageParam as string | null, signal),
    initialPageParam: null,
    getNextPageParam: (last) => last.next_cursor,
    enabled: token !== null,
  });
  const rows = periods.data?.pages.flatMap((page) => page.data) ?? [];

  let body;
  if (periods.error && rows.length === 0) body = <QueryProblem what="past periods" error={periods.error} onRetry={() => void periods.refetch()} />;
  else if (!periods.data) body = <QueryLoading what="past periods" />;
  else if (rows.length === 0) body = <p className="history-empty">No past periods yet: your first period is still running.</p>;
  else {
    body = (
      <>
        {/* Scrolls sideways on narrow screens: focusable so keyboard users can scroll it too. */}
        <div className="periods-table" tabIndex={0} role="region" aria-label="Past periods (scrollable)">
          <table>
            <caption className="visually-hidden">Past billing periods, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Period</th>
                {AGENT_TYPES.map((agent) => (
                  <th scope="col" key={agent}>
                    <span className="periods-table__unit">{AGENT_UNIT_LABELS[agent].unit}</span>
                  </th>
                ))}
                <th scope="col">Overage</th>
                <th scope="col">Stripe</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((period) => {
                const status = periodStripeStatus(period);
                return (
                  <tr key={period.period_start}>
                    <th scope="row">{formatPeriod(period.period_start, period.period_end)}</th>
                    {AGENT_TYPES.map((agent) => {
                      const usage = period.usage[agent];
                      return (
                        <td key={agent}>
                          {formatCount(usage.count)}
                          {usage.limit !== null && <span className="periods-table__limit"> / {formatCount(usage.limit)}</span>}
                        </td>
                      );
                    })}
                    <td>{formatCents(period.total_overage_cost_cents)}</td>
                    <td>
                      <span className={`stripe-status stripe-status--${status}`}>{STRIPE_LABELS[status]}</span>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        {periods.hasNextPage && (
          <button type="button" className="button button--small button--ghost" onClick={() => void periods.fetchNextPage()} disabled={periods.isFetchingNextPage}>
            {periods.isFetchingNextPage ? 'Loading…' : 'Show older periods'}
          </button>
        )}
      </>
    );
  }

  return (
    <section className="card history-card" aria-labelledby="past-periods-heading">
      <h2 id="past-periods-heading">Past periods</h2>
      {body}
    </section>
  );
}
