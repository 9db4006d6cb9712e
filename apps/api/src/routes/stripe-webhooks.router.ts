import express, { Router } from 'express';
import { WebhookNotConfiguredError, WebhookSignatureError, WebhookUnprocessableError } from '@metering/billing';
import type { StripeWebhookService } from '@metering/billing';
import { HttpProblem } from '../errors/problem';

/** Stripe events are small; anything larger is not from Stripe. */
const MAX_BODY = '512kb';

/**
 * `POST /api/v1/stripe/webhooks`: Stripe's deliveries, authenticated by their signature (no JWT).
 * The body is read raw, because the signature covers the exact bytes; a JSON parser before this
 * route would break verification. Answers 200 once the event is applied (or was already), 400 for a
 * bad signature with nothing changed, 422 for a genuine event that cannot be applied yet (Stripe
 * redelivers it), 503 when no signing secret is configured.
 */
export function stripeWebhooksRouter(deps: { webhooks: StripeWebhookService }): Router {
  const router = Router();
  router.post('/api/v1/stripe/webhooks', express.raw({ type: () => true, limit: MAX_BODY }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      const outcome = await deps.webhooks.handle(body, req.header('stripe-signature'));
      res.status(200).json({ received: true, id: outcome.eventId, type: outcome.type, status: outcome.status });
    } catch (error) {
      if (error instanceof WebhookSignatureError) {
        throw new HttpProblem(400, error.message, { errors: [{ field: 'Stripe-Signature', message: error.message }] });
      }
      if (error instanceof WebhookUnprocessableError) throw new HttpProblem(422, error.message);
      if (error instanceof WebhookNotConfiguredError) throw new HttpProblem(503, error.message);
      throw error;
    }
  });
  return router;
}
