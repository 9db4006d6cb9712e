import { UnrecoverableError } from 'bullmq';
import type { Job } from 'bullmq';
import { isUuid } from '@metering/platform';
import type { Clock } from '@metering/platform';
import { JOBS, ValidationFailedError, parseWireEvent, parseWireEvents } from '@metering/usage';
import type { FieldError, NewDeadLetter, OccurredAtWindow, TrackEventJobData, TrackEventsJobData, ValidEvent, WireEventItem } from '@metering/usage';

function isJobEvent(value: unknown): value is WireEventItem {
  const item = value as Partial<WireEventItem> | null;
  return typeof item === 'object' && item !== null && typeof item.tenant_id === 'string' && typeof item.event === 'object' && item.event !== null;
}

const WINDOW_MESSAGE = /^occurred_at is more than \d+ (days in the past|seconds in the future)$/;

/** One call's events of a job: committed, counted and failed on their own. */
export interface TrackInputGroup {
  events: ValidEvent[];
  deadLetters: NewDeadLetter[];
}

/**
 * The call sizes of a job: `calls` of a coalesced `track-events` job (positive counts that add up
 * to its events), else the whole job as one call. Anything else is not a payload any producer wrote.
 */
function callSizesOf(job: Job, calls: unknown, events: number): number[] {
  if (calls === undefined) return [events];
  if (!Array.isArray(calls) || calls.length === 0 || !calls.every((size) => Number.isInteger(size) && size > 0) || calls.reduce((a, b) => a + b, 0) !== events) {
    throw new UnrecoverableError(`job data is not a valid ${job.name} payload: calls must be positive event counts adding up to ${events}`);
  }
  return calls as number[];
}

/**
 * The events of a `track-event` / `track-events` job, parsed with the producer's own parser (job
 * data is a wire like the HTTP body), one group per producer call (a coalesced job carries
 * several; see TrackEventsJobData.calls): the same rules and messages, and the occurred_at window
 * checked again against this worker's clock. An event without `occurred_at` happened when it was
 * enqueued, not when a (possibly retried) worker gets to it, so it lands in the period the agent
 * reported it in.
 * An event that fails here was accepted by the producer (its window aged out on the way, or the
 * clocks disagree): it becomes a dead letter with the reason, its call's other events still count.
 * Only data that names no tenant or key -- not an event any producer accepted -- fails the job
 * for good (UnrecoverableError).
 */
export function trackInputsOf(job: Job, window: OccurredAtWindow, clock: Clock): { groups: TrackInputGroup[]; enqueuedAt: number } {
  const data = job.data as Partial<TrackEventJobData & TrackEventsJobData>;
  const enqueuedAt = typeof data.enqueued_at === 'number' ? data.enqueued_at : job.timestamp;
  const items: unknown[] = job.name === JOBS.trackEvents ? (Array.isArray(data.events) ? data.events : []) : [data];
  if (items.length === 0 || !items.every(isJobEvent)) {
    throw new UnrecoverableError(`job data is not a valid ${job.name} payload`);
  }
  const sizes = job.name === JOBS.trackEvents ? callSizesOf(job, data.calls, items.length) : [1];
  const context = { now: clock(), window, occurredAtDefault: new Date(enqueuedAt) };
  const unstorable: FieldError[] = [];
  const groups: TrackInputGroup[] = [];
  let offset = 0;
  for (const size of sizes) {
    groups.push(groupOf(job, sizes.length === 1 ? items : items.slice(offset, offset + size), offset, items.length > 1, context, unstorable));
    offset += size;
  }
  if (unstorable.length > 0) throw new UnrecoverableError(unstorable.map((e) => `${e.field}: ${e.message}`).join('; '));
  return { groups, enqueuedAt };
}

/** One call's items (from `offset` of the job's events); what no producer could have accepted goes to `unstorable`. */
function groupOf(
  job: Job,
  items: WireEventItem[],
  offset: number,
  numbered: boolean,
  context: { now: Date; window: OccurredAtWindow; occurredAtDefault: Date },
  unstorable: FieldError[],
): TrackInputGroup {
  try {
    // The common case, and the fast one: every event valid (one Date per shared occurred_at text).
    return { events: parseWireEvents(items, context), deadLetters: [] };
  } catch (error) {
    if (!(error instanceof ValidationFailedError)) throw error;
  }
  const events: ValidEvent[] = [];
  const deadLetters: NewDeadLetter[] = [];
  items.forEach((item, index) => {
    const prefix = numbered ? `events[${offset + index}].` : '';
    const parsed = parseWireEvent(item.tenant_id, item.event, prefix, context);
    if (parsed.ok) {
      events.push(parsed.event);
      return;
    }
    const raw = item.event as Record<string, unknown>;
    const tenantId = item.tenant_id as string;
    if (!isUuid(tenantId) || typeof raw.idempotency_key !== 'string' || raw.idempotency_key.length === 0 || raw.idempotency_key.length > 255) {
      unstorable.push(...parsed.errors);
      return;
    }
    const windowOnly = parsed.errors.every((error) => WINDOW_MESSAGE.test(error.message));
    deadLetters.push({
      tenantId: tenantId.toLowerCase(),
      idempotencyKey: raw.idempotency_key,
      event: { ...raw, occurred_at: typeof raw.occurred_at === 'string' ? raw.occurred_at : context.occurredAtDefault.toISOString() },
      reason: windowOnly ? 'outside_window' : 'invalid_event',
      // The very text the API and the producer give for the same event.
      detail: parsed.errors.map((error) => `${error.field}: ${error.message}`).join('; '),
      jobId: job.id ?? null,
    });
  });
  return { events, deadLetters };
}
