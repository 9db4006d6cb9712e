import { IsIn, IsInt, IsISO8601, Min } from 'class-validator';
import { AGENT_TYPES } from '../domain/agent-type';
import type { AlertLevel } from '../entities/usage-threshold-alert.entity';
import type { NewUsageAlert } from '../maintenance/usage-alerts.service';
import { IsUuidText, validateJobData } from './job-data';
import type { JobDataResult } from './job-data';

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

const LEVELS: readonly AlertLevel[] = ['warning', 'error', 'forecast'];

// Only a field's first failed rule is reported, and the rule next to the field runs first: the type check.
class UsageAlertJobDataDto implements UsageAlertJobData {
  @IsUuidText({ message: 'alert_id must be a UUID' })
  alert_id!: string;

  @IsUuidText({ message: 'tenant_id must be a UUID' })
  tenant_id!: string;

  @IsIn(AGENT_TYPES, { message: `agent must be one of ${AGENT_TYPES.join(', ')}` })
  agent!: string;

  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'period_start must be an ISO-8601 date-time' })
  period_start!: string;

  @IsIn(LEVELS, { message: `level must be one of ${LEVELS.join(', ')}` })
  level!: AlertLevel;

  @Min(0, { message: 'threshold_percent must not be negative' })
  @IsInt({ message: 'threshold_percent must be an integer' })
  threshold_percent!: number;

  @Min(0, { message: 'count must not be negative' })
  @IsInt({ message: 'count must be an integer' })
  count!: number;

  @Min(0, { message: 'limit must not be negative' })
  @IsInt({ message: 'limit must be an integer' })
  limit!: number;
}

const FIELDS: ReadonlyArray<keyof UsageAlertJobData> = [
  'alert_id', 'tenant_id', 'agent', 'period_start', 'level', 'threshold_percent', 'count', 'limit',
];

/**
 * Checks a `usage-alert` job's data. Fields beyond these are ignored, not refused: notifying
 * services read the same queue, and a field a newer producer adds must not fail older consumers.
 */
export function parseUsageAlertJobData(raw: unknown): JobDataResult<UsageAlertJobData> {
  return validateJobData(raw, { dto: UsageAlertJobDataDto, fields: FIELDS, otherFields: 'ignore' });
}
