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
