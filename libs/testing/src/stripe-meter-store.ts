import { randomBytes } from 'node:crypto';

/** One meter event as the test server holds it. */
export interface StoredMeterEvent {
  identifier: string;
  eventName: string;
  customer: string;
  value: number;
  /** Event time (seconds), what summaries aggregate by. */
  timestamp: number;
  /** When the server received it (ms), what the 24-hour cancellation window counts from. */
  receivedAtMs: number;
  cancelled: boolean;
}

/** A fault the next meter event suffers, so tests can make Stripe's totals disagree with the ledger. */
export type MeterEventFault = 'lose' | 'count_twice';

/** Stripe answers a request this store refuses with a 400 and this message. */
export class MeterRequestError extends Error {}

const CANCEL_WINDOW_MS = 24 * 3_600_000;

/**
 * What Stripe's Billing Meters hold, as far as this project uses them: meters by event name,
 * meter events (deduplicated by identifier, negative values accepted, as the docs say: see
 * docs/stripe-corrections.md), cancellation by identifier within 24 hours of receipt, and
 * summaries summed from the events actually held.
 */
export class StripeMeterStore {
  readonly events: StoredMeterEvent[] = [];
  private readonly meters = new Map<string, string>();
  private readonly faults: MeterEventFault[] = [];
  now: () => number = Date.now;

  /** The meter id of an event name; meters are created on first use. */
  meterId(eventName: string): string {
    let id = this.meters.get(eventName);
    if (!id) this.meters.set(eventName, (id = `mtr_test_${randomBytes(8).toString('hex')}`));
    return id;
  }

  /** The next meter events (one per call) are lost or counted twice, though answered 200. */
  injectFault(fault: MeterEventFault): void {
    this.faults.push(fault);
  }

  reset(): void {
    this.events.length = 0;
    this.faults.length = 0;
    this.meters.clear();
    this.now = Date.now;
  }

  record(body: Record<string, string>): StoredMeterEvent {
    const raw = body['payload[value]'] ?? '';
    if (!/^-?\d+$/.test(raw)) throw new MeterRequestError(`payload[value] must be a whole number, got "${raw}"`);
    const eventName = body.event_name ?? '';
    this.meterId(eventName);
    const existing = this.events.find((e) => e.identifier === body.identifier && e.eventName === eventName);
    if (existing) return existing; // Stripe deduplicates identifiers for at least 24 hours.
    const event: StoredMeterEvent = {
      identifier: body.identifier ?? `auto_${randomBytes(6).toString('hex')}`,
      eventName,
      customer: body['payload[stripe_customer_id]'] ?? '',
      value: Number(raw),
      timestamp: Number(body.timestamp ?? Math.floor(this.now() / 1000)),
      receivedAtMs: this.now(),
      cancelled: false,
    };
    const fault = this.faults.shift();
    if (fault !== 'lose') this.events.push(event);
    if (fault === 'count_twice') this.events.push({ ...event });
    return event;
  }

  cancel(body: Record<string, string>): void {
    if (body.type !== 'cancel') throw new MeterRequestError('type must be cancel');
    const identifier = body['cancel[identifier]'];
    const matches = this.events.filter((e) => e.identifier === identifier && e.eventName === body.event_name);
    if (matches.length === 0) throw new MeterRequestError(`No meter event with identifier ${identifier} for ${body.event_name}`);
    if (this.now() - matches[0]!.receivedAtMs > CANCEL_WINDOW_MS) {
      throw new MeterRequestError('You can only cancel events within 24 hours of Stripe receiving them');
    }
    for (const event of matches) event.cancelled = true;
  }

  meterList(): Array<{ id: string; object: 'billing.meter'; event_name: string; status: 'active' }> {
    return [...this.meters].map(([eventName, id]) => ({ id, object: 'billing.meter', event_name: eventName, status: 'active' }));
  }

  /** Stripe's summary: the sum of the held, uncancelled events of [start, end) (minute-aligned). */
  summary(meterId: string, query: Record<string, string>): { aggregated_value: number; start_time: number; end_time: number } {
    const eventName = [...this.meters].find(([, id]) => id === meterId)?.[0];
    if (eventName === undefined) throw new MeterRequestError(`No such billing meter: '${meterId}'`);
    const start = Number(query.start_time);
    const end = Number(query.end_time);
    if (!query.customer) throw new MeterRequestError('customer is required');
    if (!Number.isInteger(start) || !Number.isInteger(end) || start % 60 !== 0 || end % 60 !== 0) {
      throw new MeterRequestError('start_time and end_time must be aligned with minute boundaries');
    }
    const aggregated = this.events
      .filter((e) => e.eventName === eventName && e.customer === query.customer && !e.cancelled && e.timestamp >= start && e.timestamp < end)
      .reduce((sum, e) => sum + e.value, 0);
    return { aggregated_value: aggregated, start_time: start, end_time: end };
  }
}
