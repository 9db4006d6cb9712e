import http from 'node:http';
import { resetData, runPool, seedTenants, waitForCounterSum } from '../harness/bench-data';
import { ratioTarget } from '../harness/bench-report';
import { meteredIngest } from '../harness/scenario';
import type { Scenario, ScenarioContext } from '../harness/scenario';
import { benchToken } from '../harness/tokens';
import { EVENTS_PER_JOB, bulkEventRate, jobEvents } from './ingest-bulk.scenario';

const REQUESTS_IN_FLIGHT = 16;
/** Keep-alive connections, one per request in flight, as an agent service's HTTP client keeps them. */
const agent = new http.Agent({ keepAlive: true, maxSockets: REQUESTS_IN_FLIGHT });

/**
 * One POST on a kept-alive connection; resolves with the status and body. node:http, not fetch:
 * undici's fetch costs the load generator ~1 ms of CPU per request here, on the cores the API and
 * worker share, which would be measured as the API's cost.
 */
function post(url: URL, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** `POST /api/v1/usage/events` with batches of 100 (one tenant's token each) until all are counted. */
async function httpIngestRate(ctx: ScenarioContext, count: number, tenantIds: string[]): Promise<number> {
  const { env } = ctx;
  const tokens = new Map(tenantIds.map((id) => [id, benchToken(id, ['agent'])]));
  const requests = Math.ceil(count / EVENTS_PER_JOB);
  const url = new URL(`${env.apiUrl}/api/v1/usage/events`);
  const started = Date.now();
  await runPool(requests, REQUESTS_IN_FLIGHT, async (j) => {
    const events = jobEvents('http', tenantIds, j, count);
    const body = JSON.stringify({
      events: events.map((e) => ({ agent: e.agent, action_type: e.actionType, resource_id: e.resourceId, quantity: 1, idempotency_key: e.idempotencyKey })),
    });
    const { status, text } = await post(url, { authorization: `Bearer ${tokens.get(events[0]!.tenantId)}`, 'content-type': 'application/json' }, body);
    if (status !== 202) throw new Error(`ingest answered ${status}: ${text}`);
  });
  agent.destroy();
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
