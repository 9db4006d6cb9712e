/** The signature header is missing or does not match the body: nothing was read or changed. */
export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

/** STRIPE_WEBHOOK_SECRET is not set, so no delivery can be verified. */
export class WebhookNotConfiguredError extends Error {
  constructor() {
    super('Stripe webhooks are not configured: STRIPE_WEBHOOK_SECRET is not set');
    this.name = 'WebhookNotConfiguredError';
  }
}

/**
 * The event is genuine but cannot be applied yet (e.g. its plan does not exist here). Nothing is
 * recorded, so Stripe's redelivery applies it once an operator has fixed the cause.
 */
export class WebhookUnprocessableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookUnprocessableError';
  }
}
