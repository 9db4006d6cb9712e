import { ActionType, AgentType, toWireEvent } from '@metering/usage';
import type { TrackEventInput, UsageClient, WireEvent } from '@metering/usage';
import type { AckLog } from './ledger-check';

const AGENTS: ReadonlyArray<[AgentType, ActionType]> = [
  [AgentType.Inbox, ActionType.EmailProcessed],
  [AgentType.Invoice, ActionType.InvoiceDetected],
  [AgentType.Meeting, ActionType.MeetingPrep],
];

/** mulberry32: a seeded generator, so a failing run can be replayed with the seed it printed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface WorkloadOptions {
  tenantIds: readonly string[];
  /** Events in the stream, duplicates included. */
  total: number;
  /** Share of `total` that repeats an earlier event (same tenant and idempotency key). */
  duplicateShare?: number;
  seed: number;
  /** Prefix of idempotency keys, to tell scenarios apart in the rows. */
  label: string;
}

/** Events with keys spread over tenants and agents; duplicates are copies of other events, all shuffled. */
export function usageWorkload(options: WorkloadOptions): TrackEventInput[] {
  const random = seededRandom(options.seed);
  const duplicates = Math.round(options.total * (options.duplicateShare ?? 0));
  const unique = options.total - duplicates;
  const events: TrackEventInput[] = [];
  for (let i = 0; i < unique; i++) {
    const [agent, actionType] = AGENTS[Math.floor(random() * AGENTS.length)]!;
    const key = `${options.label}-${i}`;
    events.push({
      tenantId: options.tenantIds[Math.floor(random() * options.tenantIds.length)]!,
      agent,
      actionType,
      resourceId: key,
      idempotencyKey: key,
      quantity: 1,
    });
  }
  for (let i = 0; i < duplicates; i++) events.push({ ...events[Math.floor(random() * unique)]! });
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [events[i], events[j]] = [events[j]!, events[i]!];
  }
  return events;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * Enqueues `events` with the batch producer (`trackMany`, `batchSize` per job, a few calls in
 * flight), recording each acknowledged batch. `between(i)` runs after batch i is acknowledged, so a
 * scenario can break something mid-stream.
 */
export async function enqueueAll(
  client: UsageClient,
  events: readonly TrackEventInput[],
  acks: AckLog,
  options: { batchSize?: number; inFlight?: number; between?: (batchIndex: number) => Promise<void> } = {},
): Promise<void> {
  const batches = chunk(events, options.batchSize ?? 100);
  const inFlight = options.inFlight ?? 4;
  for (let start = 0; start < batches.length; start += inFlight) {
    const group = batches.slice(start, start + inFlight);
    await Promise.all(
      group.map(async (batch) => {
        acks.noteSent(batch.length);
        await client.trackMany(batch);
        acks.acknowledge(batch.map((e) => ({ tenantId: e.tenantId, idempotencyKey: e.idempotencyKey!, quantity: e.quantity })));
      }),
    );
    for (let i = start; i < start + group.length; i++) await options.between?.(i);
  }
}

/** The wire (snake_case) body of events for `POST /api/v1/usage/events`, through the producer's one mapping. */
export function wireBody(events: readonly TrackEventInput[]): { events: WireEvent[] } {
  return { events: events.map((event) => toWireEvent(event)) };
}
