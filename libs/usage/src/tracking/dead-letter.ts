import type { DeadLetterReason } from '../entities/usage-dead-letter.entity';
import type { ValidEvent } from '../events/valid-event';
import { toWireEvent } from '../events/wire-event';

/** An event the worker cannot count, with the reason, as usage_dead_letters stores it. */
export interface NewDeadLetter {
  tenantId: string;
  idempotencyKey: string;
  /** The event on the wire (snake_case), occurred_at included, so a replay parses it as it was. */
  event: Record<string, unknown>;
  reason: DeadLetterReason;
  detail: string;
  jobId?: string | null;
}

/** The dead letter of a parsed event. */
export function deadLetterOf(event: ValidEvent, reason: DeadLetterReason, detail: string): NewDeadLetter {
  return { tenantId: event.tenantId, idempotencyKey: event.idempotencyKey, event: { ...toWireEvent(event) }, reason, detail };
}
