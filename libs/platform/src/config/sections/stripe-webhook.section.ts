import { IsOptional, IsString, Matches } from 'class-validator';
import { configSection } from '../config-section';

class StripeWebhookEnvDto {
  @IsOptional() @IsString() @Matches(/^whsec_/, { message: 'STRIPE_WEBHOOK_SECRET must start with whsec_' })
  STRIPE_WEBHOOK_SECRET?: string;
}

/** What the API needs of Stripe: the secret its webhook signatures are checked with. */
export interface StripeWebhookConfig {
  stripe: { webhookSecret?: string };
}

export const stripeWebhookSection = configSection({
  name: 'stripe-webhook',
  dto: StripeWebhookEnvDto,
  toConfig: (env): StripeWebhookConfig => ({ stripe: { webhookSecret: env.STRIPE_WEBHOOK_SECRET } }),
});
