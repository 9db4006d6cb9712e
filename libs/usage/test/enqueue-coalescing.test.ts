/**
 * The producer's coalescing (EnqueueLane), against the real Redis: calls made while a track
 * queue's adds are out share the next job, with their boundaries and their own acceptance time;
 * `coalesce: false` keeps one job per call; a failed add rejects every call it carried.
 */
import { Queue } from 'bullmq';
import type { Job } from 'bullmq';
import { createRedisConnection } from '@metering/platform';
import { testConfig, uniqueQueuePrefix, useTestDatabase } from '@metering/testing';
import { ActionType, AgentType, DEFAULT_OCCURRED_AT_WINDOW, ENQUEUES_IN_FLIGHT_PER_SHARD, JOBS, QUEUES, createUsageClient } from '@metering/usage';
import type { TrackAcceptance, TrackEventInput, TrackEventsJobData, UsageClientOptions } from '@metering/usage';

useTestDatabase(1);
const TENANT = '3f1b2c4d-1111-4222-8333-123456789abc';
const OTHER = '9a8b7c6d-2222-4333-8444-abcdefabcdef';
const redisUrl = () => testConfig('postgres://unused/unused').redis.url;
const opened: Array<{ close(): Promise<unknown> } | { quit(): Promise<unknown> }> = [];

afterAll(async () => {
  for (const item of opened.reverse()) await ('close' in item ? item.close() : item.quit()).catch(() => undefined);
});

function email(key: string, tenantId = TENANT): TrackEventInput {
  return { tenantId, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: key, idempotencyKey: key };
}

/** A client and a reader of its track queue, on a fresh prefix. */
function setup(options: Partial<UsageClientOptions> = {}) {
  const prefix = uniqueQueuePrefix();
  const producer = createRedisConnection(redisUrl(), 'producer');
  const reader = createRedisConnection(redisUrl(), 'worker');
  const client = createUsageClient({ redis: producer, prefix, window: DEFAULT_OCCURRED_AT_WINDOW, ...options });
  const queue = new Queue(QUEUES.usageEvents, { connection: reader, prefix });
  opened.push(reader, producer, queue, client);
  return { client, queue, producer };
}

/** Every event key in the job, in order. */
function keysOf(job: Job): string[] {
  if (job.name === JOBS.trackEvent) return [(job.data as { event: { idempotency_key: string } }).event.idempotency_key];
  return (job.data as TrackEventsJobData).events.map(({ event }) => event.idempotency_key);
}

describe('coalescing track() calls into shared jobs', () => {
  it('sends calls at once while adds are free, and coalesces the rest into one job that keeps each call apart', async () => {
    const { client, queue } = setup();
    const keys = Array.from({ length: 30 }, (_, i) => `k-${i}`);
    // All in one tick, as many agents reporting at the same moment.
    const accepted = await Promise.all(keys.map((key) => client.track(email(key))));

    // The first calls found adds free: each is its own track-event job, as without coalescing.
    for (const call of accepted.slice(0, ENQUEUES_IN_FLIGHT_PER_SHARD)) expect(call.jobIds[0]).toMatch(/^evt-/);
    const shared = accepted.slice(ENQUEUES_IN_FLIGHT_PER_SHARD);
    expect(new Set(shared.map((call) => call.jobIds[0])).size).toBe(1);
    const job = (await queue.getJob(shared[0]!.jobIds[0]!))!;
    expect(job.name).toBe(JOBS.trackEvents);
    const data = job.data as TrackEventsJobData;
    expect(data.calls).toEqual(shared.map(() => 1));
    expect(keysOf(job)).toEqual(keys.slice(ENQUEUES_IN_FLIGHT_PER_SHARD)); // in the order the calls were made

    // Every event is in exactly one job, and in the job its call was told.
    const jobs = await queue.getJobs(['wait'], 0, -1, true);
    expect(jobs.flatMap(keysOf).sort()).toEqual([...keys].sort());
    for (const [i, call] of accepted.entries()) expect(keysOf((await queue.getJob(call.jobIds[0]!))!)).toContain(keys[i]);
    expect(accepted.every((call) => call.accepted === 1)).toBe(true);
  });

  it("gives a coalesced event sent without occurred_at its own call's time, not the job's", async () => {
    let tick = Date.parse('2026-12-04T10:00:00.000Z');
    const { client, queue } = setup({ clock: () => new Date((tick += 1000)) });
    const calls = Array.from({ length: ENQUEUES_IN_FLIGHT_PER_SHARD + 3 }, (_, i) => client.track(email(`t-${i}`)));
    calls.push(client.track({ ...email('explicit'), occurredAt: '2026-12-04T09:00:00.000Z' }));
    const accepted = await Promise.all(calls);
    const job = (await queue.getJob(accepted.at(-1)!.jobIds[0]!))!;
    const data = job.data as TrackEventsJobData;
    // Calls 3.. were accepted at 10:00:03, 10:00:04, ...; the job's enqueued_at is the first one's.
    const first = Date.parse('2026-12-04T10:00:00.000Z') + (ENQUEUES_IN_FLIGHT_PER_SHARD + 1) * 1000;
    expect(data.enqueued_at).toBe(first);
    expect(data.events.map(({ event }) => event.occurred_at)).toEqual([
      undefined, // the first call's event happened at enqueued_at, as in any job
      new Date(first + 1000).toISOString(),
      new Date(first + 2000).toISOString(),
      '2026-12-04T09:00:00.000Z', // its own, untouched
    ]);
  });

  it('keeps a batch call whole in one job, and never puts more than MAX_EVENTS_PER_BATCH events in one', async () => {
    const { client, queue } = setup();
    const batch = (tag: string, n: number) => Array.from({ length: n }, (_, i) => email(`${tag}-${i}`));
    const accepted = await Promise.all([
      client.track(email('a')),
      client.track(email('b')),
      client.trackMany(batch('x', 600)),
      client.trackMany(batch('y', 300)),
      client.trackMany(batch('z', 200)), // 600 + 300 + 200 > 1,000: z goes in the next job
      client.track(email('c')),
    ]);
    const [x, y, z, c] = accepted.slice(2).map((call: TrackAcceptance) => call.jobIds[0]!);
    expect(y).toBe(x);
    expect(z).not.toBe(x);
    expect(c).toBe(z);
    const first = (await queue.getJob(x!))!;
    expect((first.data as TrackEventsJobData).calls).toEqual([600, 300]);
    expect(keysOf(first)).toEqual([...batch('x', 600), ...batch('y', 300)].map((e) => e.idempotencyKey));
    expect((( await queue.getJob(z!))!.data as TrackEventsJobData).calls).toEqual([200, 1]);
  });

  it('with coalesce: false, sends every call as its own job at once', async () => {
    const { client, queue } = setup({ coalesce: false });
    const accepted = await Promise.all(Array.from({ length: 20 }, (_, i) => client.track(email(`n-${i}`, i % 2 ? OTHER : TENANT))));
    expect(new Set(accepted.map((call) => call.jobIds[0])).size).toBe(20);
    const jobs = await queue.getJobs(['wait'], 0, -1, true);
    expect(jobs.map((job) => job.name)).toEqual(Array.from({ length: 20 }, () => JOBS.trackEvent));
  });

  it('rejects every call an add carried when the add fails, and acknowledges none of them', async () => {
    const { client, queue, producer } = setup();
    await client.track(email('before')); // the queue exists and the connection is up
    producer.disconnect(); // the producer connection fails fast while Redis is away
    const settled = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => client.track(email(`lost-${i}`))));
    expect(settled.map((outcome) => outcome.status)).toEqual(Array.from({ length: 10 }, () => 'rejected'));
    expect((await queue.getJobs(['wait'], 0, -1, true)).flatMap(keysOf)).toEqual(['before']);
  });

  it('close() waits for the calls still waiting for an add, and they are in Redis', async () => {
    const { client, queue } = setup();
    const calls = Array.from({ length: 12 }, (_, i) => client.track(email(`c-${i}`)));
    await client.close();
    const accepted = await Promise.all(calls);
    expect(accepted).toHaveLength(12);
    expect((await queue.getJobs(['wait'], 0, -1, true)).flatMap(keysOf).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `c-${i}`).sort());
  });
});
