import { InitialSchema1764400000000 } from './1764400000000-initial-schema';
import { SubscriptionStripeEventOrder1764500000000 } from './1764500000000-subscription-stripe-event-order';
import { UsageEventsNaturalKey1764600000000 } from './1764600000000-usage-events-natural-key';
import { UsageAlertsPublishedAt1764700000000 } from './1764700000000-usage-alerts-published-at';
import { BillingLifecycle1764800000000 } from './1764800000000-billing-lifecycle';
import { OperatorAuditLog1764900000000 } from './1764900000000-operator-audit-log';
import { UsageRollupsAndLimitPolicies1765000000000 } from './1765000000000-usage-rollups-and-limit-policies';
import { UsageCorrectionsAndStripeProof1765100000000 } from './1765100000000-usage-corrections-and-stripe-proof';
import { UsageEventsPartitioned1765200000000 } from './1765200000000-usage-events-partitioned';
import { UsageRollupsOneKey1765300000000 } from './1765300000000-usage-rollups-one-key';

/** Every migration in order; the DataSource runs them. New migrations are appended here. */
export const MIGRATIONS = [
  InitialSchema1764400000000,
  SubscriptionStripeEventOrder1764500000000,
  UsageEventsNaturalKey1764600000000,
  UsageAlertsPublishedAt1764700000000,
  BillingLifecycle1764800000000,
  OperatorAuditLog1764900000000,
  UsageRollupsAndLimitPolicies1765000000000,
  UsageCorrectionsAndStripeProof1765100000000,
  UsageEventsPartitioned1765200000000,
  UsageRollupsOneKey1765300000000,
];
