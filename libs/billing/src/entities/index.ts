import { StripeUsageReport } from './stripe-usage-report.entity';
import { StripeWebhookEvent } from './stripe-webhook-event.entity';

export * from './stripe-usage-report.entity';
export * from './stripe-webhook-event.entity';

/** The entities of the tables libs/billing owns (docs/architecture.md). */
export const BILLING_ENTITIES = [StripeUsageReport, StripeWebhookEvent];
