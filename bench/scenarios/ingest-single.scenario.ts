import { Queue } from 'bullmq';
import { JOBS, TRACK_JOB_OPTIONS, trackEventJobId } from '@metering/usage';
import { benchEvent, resetData, runPool, seedTenants, verifyCountedExactly, waitForCounterSum } from '../harness/bench-data';
import { ratioTarget } from '../harness/bench-report';
import { ChildScript } from '../harness/child-script';
import type { Scenario, ScenarioContext } from '../harness/scenario';

/** Jobs the bench keeps in flight while enqueueing, for the baseline and the project alike. */
export const PRODUCER_CONCURRENCY = 100;
const WORKER_CONCURRENCY = 400;

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
    ctx.log(`  enqueued in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    while ((await queue.getCompletedCount()) < count) await new Promise((resolve) => setTimeout(resolve, 10));
    return count / ((Date.now() - started) / 1000);
  } finally {
    await worker.stop();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}

/** N single-event track jobs through the producer client into the running worker, until counted. */
export async function singleEventRate(ctx: ScenarioContext, count: number, tenantIds: string[]): Promise<number> {
  const { env } = ctx;
  const started = Date.now();
  await runPool(count, PRODUCER_CONCURRENCY, (i) => env.usageClient.track(benchEvent('single', tenantIds, i)));
  ctx.log(`  enqueued in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const done = await waitForCounterSum(env.db, count, 120_000);
  return count / ((done - started) / 1000);
}

export const ingestSingleScenario: Scenario = {
  name: 'ingest-single',
  memoryTargets: { api: false, worker: true },
  async run(ctx) {
    const count = ctx.sizes.ingestEvents;
    await resetData(ctx.env.db);
    const { tenantIds } = await seedTenants(ctx.env.db, ctx.sizes.ingestTenants);
    ctx.log(`baseline: ${count} no-op BullMQ jobs`);
    let cpu = ctx.env.cpuMeter();
    const baseline = await noopJobRate(ctx, count, tenantIds);
    ctx.log(`  CPU us per job: ${cpu.perUnit(count)}`);
    ctx.log(`project: ${count} track-event jobs`);
    cpu = ctx.env.cpuMeter();
    const project = await singleEventRate(ctx, count, tenantIds);
    ctx.log(`  CPU us per event: ${cpu.perUnit(count)}`);
    ctx.shared.set('ingest-single.project', project);
    const ratio = project / baseline;
    return {
      size: { events: count, tenants: tenantIds.length },
      unit: 'events/s',
      baseline: { name: 'BullMQ no-op jobs', rate: baseline },
      project: { rate: project },
      ratio,
      correctness: await verifyCountedExactly(ctx.env.db, count),
      targets: [ratioTarget('rate', ratio, 0.75)],
    };
  },
};
