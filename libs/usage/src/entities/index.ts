import { BillingPeriodTerms } from './billing-period-terms.entity';
import { OperatorAuditEntry } from './operator-audit-entry.entity';
import { Plan } from './plan.entity';
import { ReconciliationRun } from './reconciliation-run.entity';
import { Subscription } from './subscription.entity';
import { Tenant } from './tenant.entity';
import { UsageCounter } from './usage-counter.entity';
import { UsageEvent } from './usage-event.entity';
import { UsageEventKey } from './usage-event-key.entity';
import { UsageRollup } from './usage-rollup.entity';
import { UsageThresholdAlert } from './usage-threshold-alert.entity';
import { UsageCounterHold } from './usage-counter-hold.entity';
import { UsageDeadLetter } from './usage-dead-letter.entity';
import { UsageCorrection } from './usage-correction.entity';

export * from './billing-period-terms.entity';
export * from './operator-audit-entry.entity';
export * from './plan.entity';
export * from './reconciliation-run.entity';
export * from './subscription.entity';
export * from './tenant.entity';
export * from './usage-counter.entity';
export * from './usage-event.entity';
export * from './usage-event-key.entity';
export * from './usage-rollup.entity';
export * from './usage-threshold-alert.entity';
export * from './usage-counter-hold.entity';
export * from './usage-dead-letter.entity';
export * from './usage-correction.entity';

/** The entities of the tables libs/usage owns (docs/architecture.md); a DataSource needs them all. */
export const USAGE_ENTITIES = [
  Tenant,
  Plan,
  Subscription,
  UsageEvent,
  UsageEventKey,
  UsageCounter,
  UsageThresholdAlert,
  ReconciliationRun,
  BillingPeriodTerms,
  UsageDeadLetter,
  UsageCounterHold,
  OperatorAuditEntry,
  UsageRollup,
  UsageCorrection,
];
