import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import { IsUuidText, validateJobData } from './job-data';
import type { JobDataResult } from './job-data';

/** Who started a maintenance job (the schedulers' template says `schedule`). */
export type MaintenanceTrigger = 'schedule' | 'roll-over' | 'operator';

export const MAINTENANCE_TRIGGERS: readonly MaintenanceTrigger[] = ['schedule', 'roll-over', 'operator'];

/** Data of jobs on `usage-maintenance`; every field is optional so a scheduler template is `{}`. */
export interface MaintenanceJobData {
  trigger?: MaintenanceTrigger;
  /** reconcile-usage-counters, report-overage-to-stripe, reconcile-stripe-totals: only this tenant. */
  tenant_id?: string;
  /** reconcile-usage-counters, report-overage-to-stripe: detect and record, change nothing. */
  dry_run?: boolean;
}

class MaintenanceJobDataDto implements MaintenanceJobData {
  @IsOptional()
  @IsIn(MAINTENANCE_TRIGGERS, { message: `trigger must be one of ${MAINTENANCE_TRIGGERS.join(', ')}` })
  trigger?: MaintenanceTrigger;

  @IsOptional()
  @IsUuidText({ message: 'tenant_id must be a UUID' })
  tenant_id?: string;

  @IsOptional()
  @IsBoolean({ message: 'dry_run must be true or false' })
  dry_run?: boolean;
}

/** The fields a maintenance job reads: jobs that run for every tenant take no filters. */
export type MaintenanceJobFields = 'trigger only' | 'with tenant filters';

const FIELDS: Record<MaintenanceJobFields, ReadonlyArray<keyof MaintenanceJobData>> = {
  'trigger only': ['trigger'],
  'with tenant filters': ['trigger', 'tenant_id', 'dry_run'],
};

/**
 * Checks the data of a maintenance job (the scheduler's template, an operator's or the roll-over's
 * enqueue). Any other field is an error, not ignored: a misspelt `tenantId` or `dryRun` would
 * otherwise run the job for real, for every tenant.
 */
export function parseMaintenanceJobData(raw: unknown, fields: MaintenanceJobFields): JobDataResult<MaintenanceJobData> {
  return validateJobData(raw, { dto: MaintenanceJobDataDto, fields: FIELDS[fields], otherFields: 'reject' });
}
