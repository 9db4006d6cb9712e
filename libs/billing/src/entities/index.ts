import { BillingCredit } from './billing-credit.entity';
import { StripeReconciliationCheck } from './stripe-reconciliation-check.entity';
import { StripeUsageReport } from './stripe-usage-report.entity';
import { StripeWebhookEvent } from './stripe-webhook-event.entity';

export * from './billing-credit.entity';
export * from './stripe-reconciliation-check.entity';
export * from './stripe-usage-report.entity';
export * from './stripe-webhook-event.entity';

/** The entities of the tables libs/billing owns (docs/architecture.md). */
export const BILLING_ENTITIES = [StripeUsageReport, StripeWebhookEvent, BillingCredit, StripeReconciliationCheck];
