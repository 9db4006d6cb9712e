import Stripe from 'stripe';

/**
 * - `transient`: the network failed, Stripe was overloaded (429) or broke (5xx), or a concurrent
 *   request held the idempotency key (409): the same request may succeed later.
 * - `permanent`: Stripe understood and rejected the request (other 4xx): sending it again cannot help.
 */
export type StripeFailureKind = 'transient' | 'permanent';

export function classifyStripeError(error: unknown): StripeFailureKind {
  if (error instanceof Stripe.errors.StripeConnectionError) return 'transient';
  if (error instanceof Stripe.errors.StripeError) {
    const status = error.statusCode;
    if (status === undefined || status === 409 || status === 429 || status >= 500) return 'transient';
    return 'permanent';
  }
  // Anything that is not an answer from Stripe (socket reset, DNS) is treated as the network.
  return 'transient';
}

/** Stripe's own message for a failure, with its status and code when present. */
export function stripeErrorMessage(error: unknown): string {
  if (error instanceof Stripe.errors.StripeError) {
    const parts = [error.statusCode ? `HTTP ${error.statusCode}` : undefined, error.code].filter(Boolean);
    return parts.length > 0 ? `${error.message} (${parts.join(', ')})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
