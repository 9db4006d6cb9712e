import { counter, gauge, histogram } from '@metering/platform';

/** Ledger rows by outcome of a run: sent, failed, deferred (left pending), skipped, negative_delta. */
export const stripeReportsTotal = counter({
  name: 'stripe_reports_total',
  help: 'Overage reports to Stripe by outcome',
  labelNames: ['outcome'] as const,
});

/** Failed HTTP attempts against Stripe, transient (retried) or permanent. */
export const stripeReportFailuresTotal = counter({
  name: 'stripe_report_failures_total',
  help: 'Failed requests to Stripe by kind (transient, permanent)',
  labelNames: ['kind'] as const,
});

export const stripeRequestDuration = histogram({
  name: 'stripe_request_duration_seconds',
  help: 'Duration of requests to Stripe',
  labelNames: ['endpoint', 'outcome'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
});

/** 0 closed, 1 open, 2 half-open: the breaker state this process last saw in Redis. */
export const stripeCircuitState = gauge({
  name: 'stripe_circuit_state',
  help: 'Stripe circuit breaker state (0 closed, 1 open, 2 half-open)',
});

/**
 * Conditions an operator must look at (alerting rules fire on any increase): negative_delta
 * (usage records mode), rejected_by_stripe, meter_error_report, unreportable (no customer or meter
 * for overage), stale_pending, credit_due (a correction of a final invoice), stripe_higher and
 * stripe_lower_final (Stripe reconciliation).
 */
export const billingOperatorAlertsTotal = counter({
  name: 'billing_operator_alerts_total',
  help: 'Billing conditions that need an operator',
  labelNames: ['kind'] as const,
});

export const stripeWebhooksTotal = counter({
  name: 'stripe_webhooks_total',
  help: 'Stripe webhook deliveries by event type and outcome',
  labelNames: ['type', 'outcome'] as const,
});
