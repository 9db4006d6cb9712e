/**
 * `npm test`: every suite the README promises, each with its own runner, totalled into one line
 * "N passed, N failed[, N skipped]". Exit code is non-zero when any test or suite failed.
 * `npm test -- --suite jest` (or web, alerts, types, faults, bench) runs one suite; `--suite all` runs all.
 * TEST_SUMMARY_FILE=path also writes the totals as JSON (read by .ci/run).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

interface Totals {
  passed: number;
  failed: number;
  skipped: number;
}

interface Suite {
  name: string;
  /** Runs the suite; returns its totals (a runner that crashed counts as one failure). */
  run(workDir: string): Totals;
  /** Whether `npm test` runs it by default. */
  byDefault: boolean;
}

const ROOT = path.resolve(__dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

function run(command: string, args: string[]): number {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env: process.env });
  return result.status ?? 1;
}

/** A runner without per-test output counts as one test. */
function passFail(exitCode: number): Totals {
  return exitCode === 0 ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: 1, skipped: 0 };
}

/** jest and vitest both write jest-style JSON: numPassedTests, numFailedTests, ... */
function fromJestJson(file: string, exitCode: number): Totals {
  if (!existsSync(file)) return { passed: 0, failed: 1, skipped: 0 };
  const report = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
  const failed = (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
  return {
    passed: report.numPassedTests ?? 0,
    // A non-zero exit with no failed test (e.g. open handles, a failing hook) still fails the run.
    failed: failed === 0 && exitCode !== 0 ? 1 : failed,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
  };
}

const SUITES: Suite[] = [
  {
    name: 'jest',
    byDefault: true,
    run: (dir) => {
      const out = path.join(dir, 'jest.json');
      return fromJestJson(out, run('npx', ['jest', '--json', `--outputFile=${out}`]));
    },
  },
  {
    name: 'web',
    byDefault: true,
    run: (dir) => {
      const out = path.join(dir, 'web.json');
      return fromJestJson(out, run('npm', ['run', '-s', 'test:web', '--', '--reporter=default', '--reporter=json', `--outputFile=${out}`]));
    },
  },
  {
    name: 'alerts',
    byDefault: true,
    run: () => passFail(run('npm', ['run', '-s', 'test:alerts'])),
  },
  {
    // jest only transpiles (isolatedModules), so type errors, including a server or billing page
    // that no longer fits the shared wire contract (@metering/contract), are caught here.
    name: 'types',
    byDefault: true,
    run: () => passFail(run('npm', ['run', '-s', 'typecheck'])),
  },
  {
    // Proves the benchmark harness runs end to end and counts exactly; speed is not judged here.
    name: 'bench',
    byDefault: false,
    run: () => {
      return passFail(run('npm', ['run', '-s', 'bench', '--', '--quick']));
    },
  },
  {
    name: 'faults',
    byDefault: false,
    run: (dir) => {
      const out = path.join(dir, 'faults.json');
      return fromJestJson(out, run('npm', ['run', '-s', 'test:faults', '--', '--json', `--outputFile=${out}`]));
    },
  },
];

/** A suite runs only when its script exists (web, alerts, faults, bench and types are npm scripts). */
function available(suite: Suite): boolean {
  if (suite.name === 'jest') return true;
  const script = { bench: 'bench', types: 'typecheck' }[suite.name] ?? `test:${suite.name}`;
  return Boolean(pkg.scripts[script]);
}

function main(): void {
  const args = process.argv.slice(2);
  const chosen = args.includes('--suite') ? args[args.indexOf('--suite') + 1] : undefined;
  const suites = SUITES.filter((suite) =>
    chosen === 'all' ? available(suite) : chosen ? suite.name === chosen : suite.byDefault && available(suite),
  );
  if (suites.length === 0) {
    process.stderr.write(`no such suite: ${chosen}\n`);
    process.exit(2);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'usage-tests-'));
  const totals: Totals = { passed: 0, failed: 0, skipped: 0 };
  const lines: string[] = [];
  for (const suite of suites) {
    process.stdout.write(`\n== ${suite.name}\n`);
    const result = suite.run(dir);
    totals.passed += result.passed;
    totals.failed += result.failed;
    totals.skipped += result.skipped;
    lines.push(`${suite.name.padEnd(7)} ${result.passed} passed, ${result.failed} failed${result.skipped ? `, ${result.skipped} skipped` : ''}`);
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);
  if (process.env.TEST_SUMMARY_FILE) writeFileSync(process.env.TEST_SUMMARY_FILE, JSON.stringify(totals));
  const summary = `${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`;
  process.stdout.write(`\n${summary}\n`);
  process.exit(totals.failed > 0 ? 1 : 0);
}

main();
