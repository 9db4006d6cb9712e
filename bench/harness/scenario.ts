import { verifyCountedExactly } from './bench-data';
import type { BenchSizes } from './bench-options';
import type { BenchEnvironment } from './bench-environment';
import type { ScenarioResult } from './bench-report';

/** What a scenario gets: the running system, the sizes of this run, and earlier scenarios' rates. */
export interface ScenarioContext {
  env: BenchEnvironment;
  sizes: BenchSizes;
  /** Rates measured earlier in this run, by `<scenario>.<what>`, e.g. `ingest-single.project`. */
  shared: Map<string, number>;
  log(message: string): void;
}

/** A scenario measures its baseline and the project in the same run; run.ts adds memory and timing. */
export interface Scenario {
  name: string;
  /** Whether the api/worker peak RSS targets of the ingest path apply. */
  memoryTargets: { api: boolean; worker: boolean };
  run(ctx: ScenarioContext): Promise<Omit<ScenarioResult, 'scenario' | 'peakRssMb' | 'cpuSeconds' | 'durationSeconds'>>;
}

/**
 * Runs the project side of an ingest round (`run` resolves with its rate in events/s), then logs
 * that rate with the CPU per event of every process and the worker's commits, and checks that
 * every event was counted exactly once.
 */
export async function meteredIngest(
  ctx: ScenarioContext,
  count: number,
  run: () => Promise<number>,
): Promise<{ rate: number; check: { ok: boolean; detail: string } }> {
  const cpu = ctx.env.cpuMeter();
  const batches = await ctx.env.commitBatchMeter();
  const rate = await run();
  ctx.log(`  ${Math.round(rate)} events/s; CPU us per event: ${cpu.perUnit(count)}; ${await batches.summary()}`);
  return { rate, check: await verifyCountedExactly(ctx.env.db, count) };
}
