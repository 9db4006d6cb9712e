import type { TrackEventInput } from '@metering/usage';
import { benchEvent, resetData, runPool, seedTenants, verifyCountedExactly, waitForCounterSum } from '../harness/bench-data';
import { ratioTarget } from '../harness/bench-report';
import { measureRounds } from '../harness/rounds';
import { meteredIngest } from '../harness/scenario';
import type { Scenario, ScenarioContext } from '../harness/scenario';
import { rawBulkInsertRate } from '../baselines/pg-bulk-insert';

export const EVENTS_PER_JOB = 100;
const JOBS_IN_FLIGHT = 16;

/** `count` events as track-events jobs of 100 (each job one tenant's events), until counted. */
export async function bulkEventRate(ctx: ScenarioContext, count: number, tenantIds: string[], tag = 'bulk'): Promise<number> {
  const { env } = ctx;
  const jobs = Math.ceil(count / EVENTS_PER_JOB);
  const started = Date.now();
  await runPool(jobs, JOBS_IN_FLIGHT, (j) => env.usageClient.trackMany(jobEvents(tag, tenantIds, j, count)));
  const done = await waitForCounterSum(env.db, count, 120_000);
  return count / ((done - started) / 1000);
}

/** The events of job `j`: one tenant per job, as an agent service batching its own work would send. */
export function jobEvents(tag: string, tenantIds: readonly string[], j: number, total: number): TrackEventInput[] {
  const tenant = [tenantIds[j % tenantIds.length]!];
  const end = Math.min(total, (j + 1) * EVENTS_PER_JOB);
  const events: TrackEventInput[] = [];
  for (let i = j * EVENTS_PER_JOB; i < end; i++) events.push(benchEvent(tag, tenant, i));
  return events;
}

export const ingestBulkScenario: Scenario = {
  name: 'ingest-bulk',
  memoryTargets: { api: false, worker: true },
  async run(ctx) {
    const count = ctx.sizes.ingestEvents;
    const { db } = ctx.env;
    const jobs = Math.ceil(count / EVENTS_PER_JOB);
    let correctness = { ok: true, detail: '' };
    const measured = await measureRounds(ctx.sizes.rounds, async (round) => {
      await resetData(db);
      await ctx.env.resetQueues();
      const { tenantIds, period } = await seedTenants(db, ctx.sizes.ingestTenants);
      const rawEvents = Array.from({ length: jobs }, (_, j) => jobEvents(`raw-r${round}`, tenantIds, j, count)).flat();
      ctx.log(`round ${round + 1}: baseline: ${count} events, raw pg transactions of ${EVENTS_PER_JOB}`);
      const cpu = ctx.env.cpuMeter();
      const baseline = await rawBulkInsertRate(ctx.env.databaseUrl, rawEvents, period, EVENTS_PER_JOB);
      // The baseline's backends exit with its pool; their CPU is readable once Postgres reaped them.
      await new Promise((resolve) => setTimeout(resolve, 500));
      ctx.log(`  ${Math.round(baseline)} events/s; CPU us per event: ${cpu.perUnit(count)}`);
      const rawCheck = await verifyCountedExactly(db, count);
      if (correctness.ok && !rawCheck.ok) correctness = { ok: false, detail: `baseline: ${rawCheck.detail}` };
      await db.query('TRUNCATE usage_events, usage_event_keys, usage_counters');
      ctx.log(`round ${round + 1}: project: ${jobs} track-events jobs of ${EVENTS_PER_JOB}`);
      const { rate: project, check } = await meteredIngest(ctx, count, () => bulkEventRate(ctx, count, tenantIds, `bulk-r${round}`));
      if (correctness.ok) correctness = check;
      return { baseline, project };
    });
    ctx.shared.set('ingest-bulk.project', measured.project);
    const ratio = measured.project / measured.baseline;
    return {
      size: { events: count, tenants: ctx.sizes.ingestTenants, perJob: EVENTS_PER_JOB, rounds: ctx.sizes.rounds },
      unit: 'events/s',
      baseline: { name: 'raw pg 100-row insert+counter transactions', rate: measured.baseline },
      project: { rate: measured.project },
      ratio,
      rounds: measured.rounds,
      correctness,
      targets: [ratioTarget('rate', ratio, 0.6)],
    };
  },
};
