import { resetData, runPool, seedTenants, waitForCounterSum } from '../harness/bench-data';
import { ratioTarget } from '../harness/bench-report';
import { meteredIngest } from '../harness/scenario';
import type { Scenario, ScenarioContext } from '../harness/scenario';
import { benchToken } from '../harness/tokens';
import { EVENTS_PER_JOB, bulkEventRate, jobEvents } from './ingest-bulk.scenario';

const REQUESTS_IN_FLIGHT = 16;

/** `POST /api/v1/usage/events` with batches of 100 (one tenant's token each) until all are counted. */
async function httpIngestRate(ctx: ScenarioContext, count: number, tenantIds: string[]): Promise<number> {
  const { env } = ctx;
  const tokens = new Map(tenantIds.map((id) => [id, benchToken(id, ['agent'])]));
  const requests = Math.ceil(count / EVENTS_PER_JOB);
  const started = Date.now();
  await runPool(requests, REQUESTS_IN_FLIGHT, async (j) => {
    const events = jobEvents('http', tenantIds, j, count);
    const body = JSON.stringify({
      events: events.map((e) => ({ agent: e.agent, action_type: e.actionType, resource_id: e.resourceId, quantity: 1, idempotency_key: e.idempotencyKey })),
    });
    const response = await fetch(`${env.apiUrl}/api/v1/usage/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.get(events[0]!.tenantId)}`, 'content-type': 'application/json' },
      body,
    });
    if (response.status !== 202) throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  });
  const done = await waitForCounterSum(env.db, count, 120_000);
  return count / ((done - started) / 1000);
}

export const ingestHttpScenario: Scenario = {
  name: 'ingest-http',
  memoryTargets: { api: true, worker: true },
  async run(ctx) {
    const count = ctx.sizes.ingestEvents;
    const { db } = ctx.env;
    await resetData(db);
    await ctx.env.resetQueues();
    const { tenantIds } = await seedTenants(db, ctx.sizes.ingestTenants);
    let baseline = ctx.shared.get('ingest-bulk.project');
    if (baseline === undefined) {
      ctx.log(`baseline: ingest-bulk, ${count} events as track-events jobs`);
      baseline = await bulkEventRate(ctx, count, tenantIds);
      await db.query('TRUNCATE usage_events, usage_event_keys, usage_counters');
    }
    ctx.log(`project: ${Math.ceil(count / EVENTS_PER_JOB)} POST /api/v1/usage/events of ${EVENTS_PER_JOB}`);
    const { rate: project, check } = await meteredIngest(ctx, count, () => httpIngestRate(ctx, count, tenantIds));
    const ratio = project / baseline;
    return {
      size: { events: count, tenants: tenantIds.length, perRequest: EVENTS_PER_JOB },
      unit: 'events/s',
      baseline: { name: 'ingest-bulk (track-events jobs)', rate: baseline },
      project: { rate: project },
      ratio,
      correctness: check,
      targets: [ratioTarget('rate', ratio, 0.5)],
    };
  },
};
