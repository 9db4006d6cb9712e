import type { UsageAlert } from '@metering/contract';
import { StatusIcon } from './StatusIcon';
import { alertSeverity } from './usage-level';

export interface AlertBannerProps {
  alerts: readonly UsageAlert[];
  onDismiss: () => void;
}

/**
 * The period's usage alerts in one banner, yellow for warnings and red once any agent is at its
 * limit. Errors are announced assertively (role=alert), warnings politely (role=status).
 */
export function AlertBanner({ alerts, onDismiss }: AlertBannerProps) {
  if (alerts.length === 0) return null;
  const ordered = [...alerts].sort((a, b) => alertSeverity(b.level) - alertSeverity(a.level));
  const level = ordered[0]!.level;
  const heading =
    level === 'error' ? 'Usage limit reached' : level === 'warning' ? 'Approaching your usage limit' : 'On course to reach your usage limit';
  return (
    <section className={`alert-banner alert-banner--${level}`} aria-label="Usage alerts" data-level={level}>
      <span className="alert-banner__icon">
        <StatusIcon kind={level === 'error' ? 'critical' : 'warning'} />
      </span>
      <div className="alert-banner__body" role={level === 'error' ? 'alert' : 'status'}>
        <p className="alert-banner__heading">{heading}</p>
        <ul className="alert-banner__list">
          {ordered.map((alert) => (
            <li key={`${alert.agent}:${alert.level}`}>{alert.message}</li>
          ))}
        </ul>
      </div>
      <button type="button" className="alert-banner__dismiss" onClick={onDismiss} aria-label="Dismiss usage alerts">
        <span aria-hidden="true">×</span>
      </button>
    </section>
  );
}
