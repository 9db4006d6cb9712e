import { QueueEvents } from 'bullmq';
import { createRedisConnection } from '@metering/platform';
import { QUEUES } from '@metering/usage';
import { benchEvent, resetData, seedTenants, verifyCountedExactly, waitForCounterSum } from '../harness/bench-data';
import { maxTarget, percentiles } from '../harness/bench-report';
import type { Scenario } from '../harness/scenario';
import { singleEventRate } from './ingest-single.scenario';

const TICK_MS = 10;

/**
 * Events offered at a steady half of the measured max single-event rate; for each, the time from
 * the producer being called with it to the job carrying it completing, which the worker does only
 * after the transactions that counted its events committed (read from BullMQ's event stream as it
 * happens). A job may carry several calls' events (the producer coalesces): each event's lag is
 * measured from its own call.
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
    // Per job: the call times of the events it carries, until its completion is seen; and the
    // completions seen (a call that resolves after its job's completion was seen settles at once).
    const calledAt = new Map<string, number[]>();
    const completedAt = new Map<string, number>();
    const lags: number[] = [];
    const settle = (jobId: string, at: number): void => {
      for (const called of calledAt.get(jobId) ?? []) lags.push(at - called);
      calledAt.delete(jobId);
    };
    queueEvents.on('completed', ({ jobId }) => {
      completedAt.set(jobId, Date.now());
      settle(jobId, Date.now());
    });
    try {
      const started = Date.now();
      let sent = 0;
      const inFlight: Array<Promise<unknown>> = [];
      while (sent < total) {
        const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * offered));
        for (; sent < due; sent++) {
          const called = Date.now();
          inFlight.push(
            env.usageClient.track(benchEvent('fresh', tenantIds, sent)).then(({ jobIds: [jobId] }) => {
              const list = calledAt.get(jobId!);
              if (list) list.push(called);
              else calledAt.set(jobId!, [called]);
              const done = completedAt.get(jobId!);
              if (done !== undefined) settle(jobId!, done);
            }),
          );
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
