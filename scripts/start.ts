/**
 * `npm start`: the whole system on one machine. Finds Postgres and Redis (or starts embedded
 * ones), migrates, then runs the API and the worker as child processes -- the same entry points
 * production runs with `npm run start:api` / `npm run start:worker`.
 * Flags: --no-demo (or DEMO=0) turns off demo seeding and the simulated agent.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createMeteringDataSource } from '@metering/billing';
import { ensureWebBuild, resolveRuntimeServices } from '@metering/dev';
import { runMigrationsWithLock } from '@metering/platform';

const ROOT = path.resolve(__dirname, '..');
const TSX_CLI = require.resolve('tsx/cli');

interface AppProcess {
  name: string;
  entry: string;
  /** Runs only with demo on (not --no-demo, DEMO not 0/false) and outside production. */
  demoOnly?: boolean;
}

/** The processes `npm start` runs, in start order; an app not built yet is skipped. */
const APPS: AppProcess[] = [
  { name: 'api', entry: 'apps/api/src/main.ts' },
  { name: 'worker', entry: 'apps/worker/src/main.ts' },
  { name: 'demo-agent', entry: 'scripts/demo-agent.ts', demoOnly: true },
];

function log(message: string): void {
  process.stdout.write(`[start] ${message}\n`);
}

/** Prints the billing page URL once the API answers, so it is the last thing on the screen. */
async function announceBillingPage(port: number): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt += 1) {
    const live = await fetch(`http://127.0.0.1:${port}/health/live`).then((res) => res.ok, () => false);
    if (live) {
      log(`billing page: http://localhost:${port}/settings/billing`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const demo = !args.includes('--no-demo') && !['0', 'false'].includes(process.env.DEMO ?? '');
  const services = await resolveRuntimeServices({
    env: process.env,
    dataRoot: path.join(ROOT, '.data'),
    databaseName: process.env.DATABASE_NAME ?? 'usage_metering',
  });
  services.describe.forEach((line) => log(line));

  const dataSource = createMeteringDataSource(services.databaseUrl, 2, 'usage-start');
  await dataSource.initialize();
  const applied = await runMigrationsWithLock(dataSource);
  await dataSource.destroy();
  log(applied.length > 0 ? `migrations applied: ${applied.join(', ')}` : 'database schema is up to date');
  log('database is ready');

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    DEMO: demo ? 'true' : 'false',
    NODE_ENV: process.env.NODE_ENV ?? 'development',
  };
  // The billing page's "Use demo account" needs the API's dev token route, which is off unless
  // asked for; npm start asks for it outside production (the API refuses it in production).
  if (env.NODE_ENV !== 'production' && env.DEV_LOGIN === undefined) env.DEV_LOGIN = 'true';
  const webBuilt = ensureWebBuild(ROOT, env.NODE_ENV !== 'production', log);
  const children: ChildProcess[] = [];
  for (const app of APPS) {
    // The demo agent also refuses production itself; skipping it here keeps its exit from stopping the rest.
    if (!existsSync(path.join(ROOT, app.entry)) || (app.demoOnly && (!demo || env.NODE_ENV === 'production'))) continue;
    const child = spawn(process.execPath, [TSX_CLI, app.entry], { cwd: ROOT, env, stdio: 'inherit' });
    child.on('exit', (code, signal) => {
      log(`${app.name} exited (${signal ?? code})`);
      if (!stopping) void stop(code ?? 1);
    });
    children.push(child);
  }

  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    await services.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  if (children.length === 0) await stop(0);
  if (webBuilt) void announceBillingPage(Number(process.env.API_PORT ?? 3000));
}

main().catch((error: unknown) => {
  process.stderr.write(`[start] ${(error as Error).message}\n`);
  process.exit(1);
});
