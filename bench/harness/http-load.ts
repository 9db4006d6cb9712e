import autocannon from 'autocannon';
import type { AutocannonResult } from 'autocannon';
import { freePort } from '@metering/testing';
import { ratioTarget } from './bench-report';
import type { Latency, ScenarioResult } from './bench-report';
import { ChildScript } from './child-script';
import { medianRound } from './rounds';
import type { ScenarioContext } from './scenario';

const WARM_UP_SECONDS = 2;

/** One round: the bare Express baseline, then the project, under the same load. */
export interface RoundRun {
  baseline: AutocannonResult;
  project: AutocannonResult;
}

export function latencyOf(result: AutocannonResult): Latency {
  return { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max };
}

/** autocannon against `url`; with `tokens`, each request carries the next one (tenants in rotation). */
export async function load(url: string, connections: number, duration: number, tokens?: string[]): Promise<AutocannonResult> {
  let next = 0;
  const requests = tokens
    ? [{ setupRequest: (req: object) => ({ ...req, headers: { authorization: `Bearer ${tokens[next++ % tokens.length]}` } }) }]
    : undefined;
  return autocannon({ url, connections, duration, requests });
}

/**
 * The result of a read scenario measured in alternating rounds against the bare Express route:
 * the median round's rates and latencies, failures from every round, and the two targets (req/s
 * ratio >= `minRatio`, p99 <= `maxP99Ratio` (default 3) x the baseline's). `wrong` counts spot-checked answers that were wrong.
 */
export function roundsReadResult(input: {
  runs: readonly RoundRun[];
  median: RoundRun;
  size: Record<string, number>;
  wrong: number;
  minRatio: number;
  maxP99Ratio?: number;
}): Omit<ScenarioResult, 'scenario' | 'peakRssMb' | 'cpuSeconds' | 'durationSeconds'> {
  const { runs, median, wrong } = input;
  const { baseline, project } = median;
  const failures = runs.reduce((sum, run) => sum + run.project.non2xx + run.project.errors + run.project.timeouts, 0);
  const total = runs.reduce((sum, run) => sum + run.project.requests.total, 0);
  const ratio = project.requests.average / baseline.requests.average;
  const p99Ratio = project.latency.p99 / Math.max(baseline.latency.p99, 1);
  const maxP99Ratio = input.maxP99Ratio ?? 3;
  return {
    size: input.size,
    unit: 'req/s',
    baseline: { name: 'bare Express JSON route', rate: baseline.requests.average, latencyMs: latencyOf(baseline) },
    project: { rate: project.requests.average, latencyMs: latencyOf(project) },
    ratio,
    rounds: runs.map((run) => ({ baseline: run.baseline.requests.average, project: run.project.requests.average })),
    correctness: {
      ok: failures === 0 && wrong === 0 && total > 0,
      detail: `${total} requests, ${failures} not 2xx/errors/timeouts, ${wrong} of 20 spot-checked answers wrong`,
    },
    targets: [
      ratioTarget('req/s', ratio, input.minRatio),
      {
        name: 'p99',
        expected: `<= ${maxP99Ratio}x baseline p99`,
        actual: `${project.latency.p99} ms vs ${baseline.latency.p99} ms (${p99Ratio.toFixed(1)}x)`,
        pass: project.latency.p99 <= maxP99Ratio * Math.max(baseline.latency.p99, 1),
      },
    ],
  };
}

/**
 * Warms the bare Express route (in its own process) and `url` up once, then alternates them for
 * `ctx.sizes.rounds` rounds (a burst of other work on the machine lands in one round), logging the
 * rate and CPU per request of each. Returns every round and the one with the median ratio.
 */
export async function alternateWithBareExpress(
  ctx: ScenarioContext,
  url: string,
  tokens: string[],
  label: string,
): Promise<{ runs: RoundRun[]; median: RoundRun }> {
  const { readConnections: connections, readSeconds: seconds } = ctx.sizes;
  const port = await freePort();
  const bare = await new ChildScript('bench/baselines/bare-express.server.ts', { PORT: String(port) }).start();
  const runs: RoundRun[] = [];
  try {
    // The same requests on both sides, Authorization headers in rotation included (the bare route
    // ignores them): autocannon builds each such request anew, on the same two cores as the servers.
    await load(`http://127.0.0.1:${port}/json`, connections, WARM_UP_SECONDS, tokens);
    await load(url, connections, WARM_UP_SECONDS, tokens);
    for (let round = 0; round < ctx.sizes.rounds; round++) {
      ctx.log(`round ${round + 1}: baseline: bare Express JSON route, ${connections} connections, ${seconds} s`);
      let cpu = ctx.env.cpuMeter();
      const baseline = await load(`http://127.0.0.1:${port}/json`, connections, seconds, tokens);
      ctx.log(`  ${Math.round(baseline.requests.average)} req/s; CPU us per request: ${cpu.perUnit(baseline.requests.total)}`);
      ctx.log(`round ${round + 1}: project: ${label}, ${connections} connections, ${seconds} s`);
      cpu = ctx.env.cpuMeter();
      const project = await load(url, connections, seconds, tokens);
      ctx.log(`  ${Math.round(project.requests.average)} req/s; CPU us per request: ${cpu.perUnit(project.requests.total)}`);
      runs.push({ baseline, project });
    }
  } finally {
    await bare.stop();
  }
  // The round with the median req/s ratio is reported, its latencies included.
  const median = medianRound(runs.map((run) => ({ baseline: run.baseline.requests.average, project: run.project.requests.average, run }))).run;
  return { runs, median };
}
