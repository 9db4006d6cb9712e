/**
 * `npm run bench [-- --quick] [-- --scenario <name>]`: starts the api and worker as production
 * does against a fresh database, runs each scenario with its baseline in the same run, prints a
 * table with PASS/MISS per target, and writes bench/results/<timestamp>.json. See bench/README.md.
 */
import { cpus } from 'node:os';
import path from 'node:path';
import { BenchEnvironment } from './harness/bench-environment';
import { SIZES, parseBenchOptions } from './harness/bench-options';
import { formatRun, maxTarget, writeRun } from './harness/bench-report';
import type { BenchRun, ScenarioResult } from './harness/bench-report';
import type { ScenarioContext } from './harness/scenario';
import { SCENARIOS } from './scenarios';

const RESULTS_DIR = path.join(__dirname, 'results');
const WORKER_RSS_LIMIT_MB = 250;
const API_RSS_LIMIT_MB = 200;

async function main(): Promise<number> {
  let options;
  try {
    options = parseBenchOptions(process.argv.slice(2), SCENARIOS.map((s) => s.name));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const selected = SCENARIOS.filter((s) => options.scenarios.length === 0 || options.scenarios.includes(s.name));
  const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);
  const env = new BenchEnvironment({ verbose: options.verbose, profileDir: options.profile ? path.join(RESULTS_DIR, 'profiles') : undefined });
  let stopping = false;
  const interrupt = (): void => {
    if (stopping) return;
    stopping = true;
    log('interrupted: cleaning up');
    void env.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  const run: BenchRun = {
    startedAt: new Date().toISOString(),
    size: options.size,
    machine: { cpus: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
    services: [],
    results: [],
  };
  let failed = false;
  try {
    log(`size ${options.size}; starting services, database and the api/worker processes`);
    await env.start();
    run.services = [...env.services.describe, `database ${env.databaseName}`, `queue prefix ${env.queuePrefix}`, `api ${env.apiUrl}, worker ${env.workerUrl}`];
    for (const line of run.services) log(line);
    const ctx: ScenarioContext = { env, sizes: SIZES[options.size], shared: new Map(), log: (m) => log(`  ${m}`) };
    for (const scenario of selected) {
      log(`${scenario.name}`);
      const started = Date.now();
      env.resetMemory();
      const cpuBefore = env.cpuSeconds();
      try {
        const measured = await scenario.run(ctx);
        const peakRssMb = env.peakRssMb();
        const cpuAfter = env.cpuSeconds();
        const cpu = {
          api: Math.round((cpuAfter.api - cpuBefore.api) * 100) / 100,
          worker: Math.round((cpuAfter.worker - cpuBefore.worker) * 100) / 100,
        };
        const targets = [...measured.targets];
        if (scenario.memoryTargets.worker) targets.push(maxTarget('worker peak RSS', peakRssMb.worker, WORKER_RSS_LIMIT_MB, 'MB'));
        if (scenario.memoryTargets.api) targets.push(maxTarget('api peak RSS', peakRssMb.api, API_RSS_LIMIT_MB, 'MB'));
        const result: ScenarioResult = {
          scenario: scenario.name,
          ...measured,
          targets,
          peakRssMb,
          cpuSeconds: cpu,
          durationSeconds: Math.round((Date.now() - started) / 100) / 10,
        };
        run.results.push(result);
        log(`  ${result.correctness.ok ? 'counted exactly' : 'WRONG'}: ${result.correctness.detail}`);
      } catch (error) {
        failed = true;
        log(`  ${scenario.name} failed: ${error instanceof Error ? error.stack : String(error)}`);
      }
    }
  } catch (error) {
    failed = true;
    log(`bench could not run: ${error instanceof Error ? error.stack : String(error)}`);
  } finally {
    if (!stopping) await env.stop();
  }
  if (run.results.length > 0) {
    process.stdout.write(`\n${formatRun(run)}\n\n`);
    process.stdout.write(`results: ${path.relative(process.cwd(), writeRun(run, RESULTS_DIR))}\n`);
  }
  const wrong = run.results.some((r) => !r.correctness.ok);
  const missed = run.results.some((r) => r.targets.some((t) => !t.pass));
  return failed || wrong || (options.strict && missed) ? 1 : 0;
}

void main().then((code) => process.exit(code));
