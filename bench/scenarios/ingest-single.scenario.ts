import { Queue } from 'bullmq';
import { DEFAULT_OCCURRED_AT_WINDOW, JOBS, QUEUES, TRACK_JOB_OPTIONS, createUsageClient, trackEventJobId } from '@metering/usage';
import type { UsageClient } from '@metering/usage';
import { benchEvent, counterSum, resetData, runPool, seedTenants } from '../harness/bench-data';
import type { SideWorker } from '../harness/bench-environment';
import { ratioTarget } from '../harness/bench-report';
import { ChildScript } from '../harness/child-script';
import { measureRounds } from '../harness/rounds';
import { meteredIngest } from '../harness/scenario';
import type { Scenario, ScenarioContext } from '../harness/scenario';

/** Jobs the bench keeps in flight while enqueueing, for the baseline and the project alike. */
export const PRODUCER_CONCURRENCY = 100;
const WORKER_CONCURRENCY = 400;

/**
 * Polls (every 10 ms, the measurement's resolution) until every job added to `queue` has finished
 * (nothing waiting, active or delayed) and returns when that was seen; call it once all jobs are
 * added. Both sides of ingest-single are timed this way: the project's worker finishes a job only
 * after the statement that counted its event committed (and the exact counts are verified
 * afterwards), so "drained" is "committed" without polling Postgres. The completed set cannot be
 * counted instead: track jobs keep only the last COMPLETED_TRACK_JOBS_KEPT completed jobs.
 */
export async function waitForDrainedQueue(queue: Queue, count: number, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed');
    const unfinished = (counts.wait ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0) + (counts['waiting-children'] ?? 0);
    if ((counts.failed ?? 0) > 0) throw new Error(`${counts.failed} of ${count} jobs failed`);
    if (unfinished === 0) return Date.now();
    if (Date.now() > deadline) throw new Error(`${unfinished} of ${count} jobs still unfinished after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** N no-op jobs (same data, options and Redis) through a BullMQ worker process that does nothing. */
async function noopJobRate(ctx: ScenarioContext, count: number, tenantIds: string[]): Promise<number> {
  const { env } = ctx;
  const queueName = `bench-noop-${Date.now()}`;
  const worker = await new ChildScript('bench/baselines/noop-worker.ts', {
    REDIS_URL: env.services.redisUrl,
    QUEUE_PREFIX: env.queuePrefix,
    QUEUE_NAME: queueName,
    CONCURRENCY: String(WORKER_CONCURRENCY),
  }).start();
  const queue = new Queue(queueName, { connection: env.redis, prefix: env.queuePrefix, defaultJobOptions: TRACK_JOB_OPTIONS });
  try {
    const started = Date.now();
    await runPool(count, PRODUCER_CONCURRENCY, async (i) => {
      const event = benchEvent('noop', tenantIds, i);
      const data = {
        tenant_id: event.tenantId,
        event: { agent: event.agent, action_type: event.actionType, resource_id: event.resourceId, quantity: 1, idempotency_key: event.idempotencyKey, metadata: {} },
        enqueued_at: Date.now(),
      };
      await queue.add(JOBS.trackEvent, data, { jobId: trackEventJobId(event.tenantId, event.idempotencyKey!) });
    });
    return (count / ((await waitForDrainedQueue(queue, count)) - started)) * 1000;
  } finally {
    await worker.stop();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}

/**
 * N single-event track() calls, PRODUCER_CONCURRENCY at a time, through the producer client (or
 * `client`) into the running worker (or `into`, a side worker with its own prefix), until counted.
 */
export async function singleEventRate(ctx: ScenarioContext, count: number, tenantIds: string[], tag = 'single', into?: SideWorker, client?: UsageClient): Promise<number> {
  const { env } = ctx;
  client ??= into?.usageClient ?? env.usageClient;
  // Emptied by env.resetQueues() before each round (a side worker's is new): only this round's jobs are in it.
  const queue = new Queue(QUEUES.usageEvents, { connection: env.redis, prefix: into?.prefix ?? env.queuePrefix });
  try {
    const started = Date.now();
    await runPool(count, PRODUCER_CONCURRENCY, (i) => client.track(benchEvent(tag, tenantIds, i)));
    return (count / ((await waitForDrainedQueue(queue, count)) - started)) * 1000;
  } finally {
    await queue.close();
  }
}

/**
 * A reference point, not a target: the project's own worker with micro-batching off
 * (WORKER_BATCH_SIZE=1 with a commit slot per job: one commit per job, the same statement and
 * checks), fed like the project
 * but one job per event (the producer's coalescing off).
 * What the batching earns, and what an exactly-once commit per job costs against a no-op job.
 */
async function unbatchedRate(ctx: ScenarioContext, count: number, tenantIds: string[]): Promise<number> {
  // Track queues only: no maintenance schedules of its own on the shared database.
  const side = await ctx.env.startSideWorker('unbatched', { WORKER_BATCH_SIZE: '1', WORKER_BATCH_WAIT_MS: '0', WORKER_COMMITS_IN_FLIGHT: String(WORKER_CONCURRENCY), WORKER_QUEUES: 'usage-events' }, { coalesce: false });
  try {
    ctx.log(`reference: ${count} track-event jobs, one commit per job (WORKER_BATCH_SIZE=1)`);
    const before = await counterSum(ctx.env.db);
    const cpu = ctx.env.cpuMeter();
    const rate = await singleEventRate(ctx, count, tenantIds, 'unbatched', side);
    ctx.log(`  ${Math.round(rate)} events/s; CPU us per event: ${cpu.perUnit(count)}`);
    const counted = (await counterSum(ctx.env.db)) - before;
    if (counted !== count) throw new Error(`the unbatched worker counted ${counted} of ${count} events`);
    return rate;
  } finally {
    await side.stop();
  }
}

/**
 * A reference point, not a target: the same track() calls into the same worker with the
 * producer's coalescing off (`coalesce: false`): one BullMQ job per event, as the no-op baseline
 * has. What coalescing earns, and what the per-job path costs on its own.
 */
async function onePerJobRate(ctx: ScenarioContext, count: number, tenantIds: string[]): Promise<number> {
  const { env } = ctx;
  await env.resetQueues();
  const client = createUsageClient({ redis: env.redis, prefix: env.queuePrefix, window: DEFAULT_OCCURRED_AT_WINDOW, coalesce: false });
  try {
    ctx.log(`reference: ${count} track-event calls, one job per event (coalesce: false)`);
    const before = await counterSum(env.db);
    const cpu = env.cpuMeter();
    const batches = await env.commitBatchMeter();
    const rate = await singleEventRate(ctx, count, tenantIds, 'per-job', undefined, client);
    ctx.log(`  ${Math.round(rate)} events/s; CPU us per event: ${cpu.perUnit(count)}; ${await batches.summary()}`);
    const counted = (await counterSum(env.db)) - before;
    if (counted !== count) throw new Error(`one job per event counted ${counted} of ${count} events`);
    return rate;
  } finally {
    await client.close();
  }
}

export const ingestSingleScenario: Scenario = {
  name: 'ingest-single',
  memoryTargets: { api: false, worker: true },
  async run(ctx) {
    const count = ctx.sizes.ingestEvents;
    const { db } = ctx.env;
    let correctness = { ok: true, detail: '' };
    let tenantIds: string[] = [];
    const measured = await measureRounds(ctx.sizes.rounds, async (round) => {
      // Fresh tenants each round: new job ids and keys, nothing left from the round before.
      await resetData(db);
      await ctx.env.resetQueues();
      ({ tenantIds } = await seedTenants(db, ctx.sizes.ingestTenants));
      ctx.log(`round ${round + 1}: baseline: ${count} no-op BullMQ jobs`);
      const cpu = ctx.env.cpuMeter();
      const baseline = await noopJobRate(ctx, count, tenantIds);
      ctx.log(`  ${Math.round(baseline)} jobs/s; CPU us per job: ${cpu.perUnit(count)}`);
      ctx.log(`round ${round + 1}: project: ${count} track-event jobs`);
      const { rate: project, check } = await meteredIngest(ctx, count, () => singleEventRate(ctx, count, tenantIds, `single-r${round}`));
      if (correctness.ok) correctness = check;
      return { baseline, project };
    });
    ctx.shared.set('ingest-single.project', measured.project);
    const ratio = measured.project / measured.baseline;
    const perJob = await onePerJobRate(ctx, count, tenantIds);
    // A quarter of the events: it is several times slower, and its rate is what is read.
    const unbatched = await unbatchedRate(ctx, Math.ceil(count / 4), tenantIds);
    return {
      size: { events: count, tenants: ctx.sizes.ingestTenants, rounds: ctx.sizes.rounds },
      unit: 'events/s',
      baseline: { name: 'BullMQ no-op jobs', rate: measured.baseline },
      project: { rate: measured.project },
      ratio,
      rounds: measured.rounds,
      references: [
        { name: 'the same calls with one job per event (coalesce: false)', rate: perJob },
        { name: 'the same worker with one job per event and one commit per job (WORKER_BATCH_SIZE=1)', rate: unbatched },
      ],
      correctness,
      // Issue 19 (was >= 75%).
      targets: [ratioTarget('rate', ratio, 0.8)],
    };
  },
};
