/**
 * Worker process (`npm run start:worker`): consumes the queues WORKER_QUEUES selects, runs the
 * scheduled maintenance jobs, serves /metrics and /health on WORKER_METRICS_PORT, and shuts down
 * cleanly on SIGTERM. Any number of copies may run against one Redis and one Postgres.
 */
import { ConfigError, createLogger, loadWorkerConfig } from '@metering/platform';
import { createWorkerRuntime } from './create-worker-runtime';
import { StartCancelledError } from './runtime/wait-for-dependencies';

async function main(): Promise<void> {
  let config;
  try {
    config = loadWorkerConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel, json: config.env === 'production', service: 'worker' });
  const runtime = createWorkerRuntime({ config, logger });
  runtime.shutdown.listen();
  try {
    await runtime.start();
  } catch (error) {
    if (error instanceof StartCancelledError) return;
    logger.error('worker failed to start', { error: String(error) });
    process.exit(await runtime.stop('start failed').then(() => 1));
  }
}

void main();
