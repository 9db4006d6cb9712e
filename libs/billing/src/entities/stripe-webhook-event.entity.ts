import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Stripe webhook events already applied; a redelivery of the same id changes nothing. */
@Entity({ name: 'stripe_webhook_events' })
export class StripeWebhookEvent {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  type!: string;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;
}
