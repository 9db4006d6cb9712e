import { QueueEvents } from 'bullmq';
import { createRedisConnection } from '@metering/platform';
import { QUEUES, eventContentKey, trackEventJobId } from '@metering/usage';
import { benchEvent, resetData, seedTenants, verifyCountedExactly, waitForCounterSum } from '../harness/bench-data';
import { maxTarget, percentiles } from '../harness/bench-report';
import type { Scenario } from '../harness/scenario';
import { singleEventRate } from './ingest-single.scenario';

const TICK_MS = 10;

/**
 * Events offered at a steady half of the measured max single-event rate; for each, the time from
 * the producer enqueueing it to its job completing, which the worker does only after the
 * transaction that counted it committed (read from BullMQ's event stream as it happens).
 */
export const freshnessScenario: Scenario = {
  name: 'freshness',
  memoryTargets: { api: false, worker: true },
  async run(ctx) {
    const { env } = ctx;
    await resetData(env.db);
    await env.resetQueues();
    const { tenantIds } = await seedTenants(env.db, ctx.sizes.ingestTenants);
    let maxRate = ctx.shared.get('ingest-single.project');
    if (maxRate === undefined) {
      const probe = Math.min(ctx.sizes.ingestEvents, 20_000);
      ctx.log(`max rate: ${probe} track-event jobs (ingest-single did not run)`);
      maxRate = await singleEventRate(ctx, probe, tenantIds);
      await env.db.query('TRUNCATE usage_events, usage_event_keys, usage_counters');
    }
    const offered = maxRate / 2;
    const total = Math.round(offered * ctx.sizes.freshnessSeconds);
    ctx.log(`project: ${Math.round(offered)} events/s for ${ctx.sizes.freshnessSeconds} s`);

    const connection = createRedisConnection(env.services.redisUrl, 'worker');
    const queueEvents = new QueueEvents(QUEUES.usageEvents, { connection, prefix: env.queuePrefix });
    await queueEvents.waitUntilReady();
    const enqueuedAt = new Map<string, number>();
    const lags: number[] = [];
    queueEvents.on('completed', ({ jobId }) => {
      const at = enqueuedAt.get(jobId);
      if (at !== undefined) lags.push(Date.now() - at);
    });
    try {
      const started = Date.now();
      let sent = 0;
      const inFlight: Array<Promise<unknown>> = [];
      while (sent < total) {
        const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * offered));
        for (; sent < due; sent++) {
          const event = benchEvent('fresh', tenantIds, sent);
          enqueuedAt.set(trackEventJobId(event.tenantId, event.idempotencyKey!, eventContentKey(event.agent, event.actionType, event.resourceId, event.quantity ?? 1)), Date.now());
          inFlight.push(env.usageClient.track(event));
        }
        await new Promise((resolve) => setTimeout(resolve, TICK_MS));
      }
      await Promise.all(inFlight);
      const done = await waitForCounterSum(env.db, total, 60_000);
      const achieved = total / ((done - started) / 1000);
      // The last completions may still be on their way through the event stream.
      const deadline = Date.now() + 5000;
      while (lags.length < total && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      const latency = percentiles(lags);
      const check = await verifyCountedExactly(env.db, total);
      const seen = lags.length === total;
      return {
        size: { events: total, seconds: ctx.sizes.freshnessSeconds, offeredPerSecond: Math.round(offered) },
        unit: 'events/s',
        baseline: { name: 'offered: half the max single-event rate', rate: offered },
        project: { rate: achieved, latencyMs: latency },
        ratio: achieved / offered,
        correctness: seen ? check : { ok: false, detail: `${check.detail}; completions seen ${lags.length} of ${total}` },
        targets: [maxTarget('p99 enqueue -> committed', latency.p99, 500, 'ms')],
      };
    } finally {
      await queueEvents.close();
      await connection.quit();
    }
  },
};
