import type { AlertLevel } from '../entities/usage-threshold-alert.entity';
import type { NewUsageAlert } from '../maintenance/usage-alerts.service';

/** Who started a maintenance job; scheduled runs carry no data at all. */
export type MaintenanceTrigger = 'schedule' | 'roll-over' | 'operator';

/** Data of jobs on `usage-maintenance`; every field is optional so a scheduler template is `{}`. */
export interface MaintenanceJobData {
  trigger?: MaintenanceTrigger;
  /** reconcile-usage-counters: only this tenant. */
  tenant_id?: string;
  /** reconcile-usage-counters: detect and record, change nothing. */
  dry_run?: boolean;
}

/** A `usage-alert` job on queue `usage-alerts`: one threshold crossed, for notifying services. */
export interface UsageAlertJobData {
  alert_id: string;
  tenant_id: string;
  agent: string;
  period_start: string;
  level: AlertLevel;
  threshold_percent: number;
  count: number;
  limit: number;
}

export function toUsageAlertJobData(alert: NewUsageAlert): UsageAlertJobData {
  return {
    alert_id: alert.id,
    tenant_id: alert.tenantId,
    agent: alert.agent,
    period_start: alert.periodStart.toISOString(),
    level: alert.level,
    threshold_percent: alert.thresholdPercent,
    count: alert.countAtAlert,
    limit: alert.limitAtAlert,
  };
}
