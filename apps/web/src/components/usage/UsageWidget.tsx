import { useRef } from 'react';
import { AGENT_TYPES } from '@metering/contract';
import type { UsageStatsResponse } from '@metering/contract';
import { ApiError } from '../../api/api-error';
import { AlertBanner } from './AlertBanner';
import { useAlertDismissals } from './alert-dismissals';
import { formatCents, formatResetDay, formatTime } from './formatters';
import { UsageBar } from './UsageBar';
import { UsageError, usageErrorMessage } from './UsageError';
import { UsageSkeleton } from './UsageSkeleton';
import { useUsage } from './use-usage';
import './usage-widget.css';

/**
 * Live usage of the signed-in tenant: one bar per agent, the period's overage cost and the
 * alert banner. Refreshes every 30 s and when the window regains focus; a failed refresh keeps
 * the last usage on screen and says why.
 */
export function UsageWidget() {
  const usage = useUsage();
  const headingRef = useRef<HTMLHeadingElement>(null);

  let body;
  if (usage.token === null) {
    body = <p className="usage-widget__empty">Sign in to see your usage.</p>;
  } else if (usage.data) {
    body = (
      <UsageDetails
        stats={usage.data}
        updatedAt={usage.dataUpdatedAt}
        refreshError={usage.error}
        refreshing={usage.isFetching}
        onRefresh={() => void usage.refetch()}
        // Dismissing removes the focused button: hand focus back to the widget's heading.
        onBannerDismissed={() => headingRef.current?.focus()}
      />
    );
  } else if (usage.error) {
    body = <UsageError error={usage.error} retrying={usage.isFetching} onRetry={() => void usage.refetch()} />;
  } else {
    body = <UsageSkeleton />;
  }

  return (
    <section className="usage-widget" aria-labelledby="usage-widget-heading">
      <h2 id="usage-widget-heading" className="usage-widget__heading" tabIndex={-1} ref={headingRef}>
        Usage this period
      </h2>
      {body}
    </section>
  );
}

interface UsageDetailsProps {
  stats: UsageStatsResponse;
  updatedAt: number;
  refreshError: Error | null;
  refreshing: boolean;
  onRefresh: () => void;
  onBannerDismissed: () => void;
}

function UsageDetails({ stats, updatedAt, refreshError, refreshing, onRefresh, onBannerDismissed }: UsageDetailsProps) {
  const { showBanner, dismiss } = useAlertDismissals(stats.tenant_id, stats.period_start, stats.alerts);
  const staleNotice = refreshError ? usageErrorMessage(refreshError) : null;
  const rateLimited = refreshError instanceof ApiError && refreshError.isRateLimited;

  return (
    <>
      <div className="usage-widget__meta">
        <span>Updated {formatTime(updatedAt)}</span>
        <button type="button" className="button button--small button--ghost" onClick={onRefresh} disabled={refreshing}>
          {refreshing ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      {staleNotice && (
        <p className={`usage-widget__notice${rateLimited ? ' usage-widget__notice--info' : ''}`} role="status">
          <strong>{staleNotice.title}.</strong> {staleNotice.detail} Showing usage from {formatTime(updatedAt)}.
        </p>
      )}
      {showBanner && (
        <AlertBanner
          alerts={stats.alerts}
          onDismiss={() => {
            dismiss();
            onBannerDismissed();
          }}
        />
      )}
      <ul className="usage-widget__bars">
        {AGENT_TYPES.map((agent) => (
          <UsageBar key={agent} agent={agent} usage={stats.usage[agent]} />
        ))}
      </ul>
      <dl className="usage-widget__summary">
        <div>
          <dt>Overage this period</dt>
          <dd data-testid="total-overage">{formatCents(stats.total_overage_cost_cents)}</dd>
        </div>
        <div>
          <dt>Usage resets</dt>
          <dd>{formatResetDay(stats.period_end)}</dd>
        </div>
      </dl>
    </>
  );
}
