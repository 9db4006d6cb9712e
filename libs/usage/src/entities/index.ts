import { Plan } from './plan.entity';
import { ReconciliationRun } from './reconciliation-run.entity';
import { StripeUsageReport } from './stripe-usage-report.entity';
import { StripeWebhookEvent } from './stripe-webhook-event.entity';
import { Subscription } from './subscription.entity';
import { Tenant } from './tenant.entity';
import { UsageCounter } from './usage-counter.entity';
import { UsageEvent } from './usage-event.entity';
import { UsageThresholdAlert } from './usage-threshold-alert.entity';

export * from './plan.entity';
export * from './reconciliation-run.entity';
export * from './stripe-usage-report.entity';
export * from './stripe-webhook-event.entity';
export * from './subscription.entity';
export * from './tenant.entity';
export * from './usage-counter.entity';
export * from './usage-event.entity';
export * from './usage-threshold-alert.entity';

/** Every entity, for the DataSource. */
export const USAGE_ENTITIES = [
  Tenant,
  Plan,
  Subscription,
  UsageEvent,
  UsageCounter,
  StripeUsageReport,
  UsageThresholdAlert,
  ReconciliationRun,
  StripeWebhookEvent,
];
