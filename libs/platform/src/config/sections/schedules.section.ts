import { Matches } from 'class-validator';
import { configSection } from '../config-section';

const CRON = /^(\S+\s+){4}\S+(\s+\S+)?$/;

class SchedulesEnvDto {
  @Matches(CRON, { message: 'CRON_RESET_USAGE must be a cron pattern' })
  CRON_RESET_USAGE!: string;

  @Matches(CRON, { message: 'CRON_REPORT_OVERAGE must be a cron pattern' })
  CRON_REPORT_OVERAGE!: string;

  @Matches(CRON, { message: 'CRON_RECONCILE_USAGE must be a cron pattern' })
  CRON_RECONCILE_USAGE!: string;

  @Matches(CRON, { message: 'CRON_PUBLISH_ALERTS must be a cron pattern' })
  CRON_PUBLISH_ALERTS!: string;

  @Matches(CRON, { message: 'CRON_CLOSE_PERIODS must be a cron pattern' })
  CRON_CLOSE_PERIODS!: string;

  @Matches(CRON, { message: 'CRON_RECONCILE_STRIPE must be a cron pattern' })
  CRON_RECONCILE_STRIPE!: string;
  @Matches(CRON, { message: 'CRON_MAINTAIN_PARTITIONS must be a cron pattern' })
  CRON_MAINTAIN_PARTITIONS!: string;
}

/** Cron patterns (UTC) of the maintenance jobs the workers register on every boot. */
export interface SchedulesConfig {
  schedules: {
    resetUsage: string;
    reportOverage: string;
    reconcileUsage: string;
    publishAlerts: string;
    /** close-billing-periods: roll over ended periods and send their final overage (every minute). */
    closePeriods: string;
    /** reconcile-stripe-totals: compare Stripe's meter event summaries with the ledger. */
    reconcileStripe: string;
    /** maintain-usage-event-partitions: months ahead, the default partition emptied, retention. */
    maintainPartitions: string;
  };
}

export const schedulesSection = configSection({
  name: 'schedules',
  dto: SchedulesEnvDto,
  defaults: {
    CRON_RESET_USAGE: '5 0 * * *',
    CRON_REPORT_OVERAGE: '0 1 * * *',
    CRON_RECONCILE_USAGE: '0 3 * * *',
    CRON_PUBLISH_ALERTS: '* * * * *',
    CRON_CLOSE_PERIODS: '* * * * *',
    // After the daily report (01:00) has settled in Stripe's eventually consistent summaries.
    CRON_RECONCILE_STRIPE: '0 4 * * *',
    CRON_MAINTAIN_PARTITIONS: '30 0 * * *',
  },
  toConfig: (env): SchedulesConfig => ({
    schedules: {
      resetUsage: env.CRON_RESET_USAGE,
      reportOverage: env.CRON_REPORT_OVERAGE,
      reconcileUsage: env.CRON_RECONCILE_USAGE,
      publishAlerts: env.CRON_PUBLISH_ALERTS,
      closePeriods: env.CRON_CLOSE_PERIODS,
      reconcileStripe: env.CRON_RECONCILE_STRIPE,
      maintainPartitions: env.CRON_MAINTAIN_PARTITIONS,
    },
  }),
});
