/**
 * Demo agent (`npm start` runs it unless --no-demo / DEMO=0): seeds the demo plan and the
 * "Demo tenant" when they are missing, then every few seconds enqueues a few events for it through
 * the producer client -- exactly as a real agent service would -- so the billing page's bars move.
 * Stops cleanly on SIGTERM/SIGINT.
 */
import { ShutdownManager, createLogger, createRedisClient, loadDemoAgentConfig, waitForRedis } from '@metering/platform';
import { createMeteringDataSource } from '@metering/billing';
import { DemoTraffic, seedDemoTenant } from '@metering/dev';
import { UsageService, createUsageClient, occurredAtWindow, replicaAcknowledgement } from '@metering/usage';

const TICK_MS = Number(process.env.DEMO_TICK_MS ?? 3000);

async function main(): Promise<void> {
  const config = loadDemoAgentConfig();
  const logger = createLogger({ level: config.logLevel, json: config.env === 'production', service: 'demo-agent' });
  // Fake tenants and fake usage never belong in a production database.
  if (config.env === 'production' || !config.demo) {
    logger.warn(config.env === 'production' ? 'the demo agent does not run in production' : 'DEMO is off: nothing to do');
    return;
  }
  const shutdown = new ShutdownManager(logger, config.shutdownTimeoutMs);
  shutdown.listen();

  const dataSource = createMeteringDataSource(config.database.url, 2, 'usage-demo-agent');
  await dataSource.initialize();
  shutdown.register('postgres', 'connections', () => dataSource.destroy());
  const redis = createRedisClient(config.redis, 'producer');
  redis.on('error', () => undefined); // the tick logs failures; reconnects are automatic
  shutdown.register('redis', 'connections', () => redis.quit().catch(() => redis.disconnect()));
  await waitForRedis(redis, 10_000);
  const client = createUsageClient({
    redis,
    prefix: config.queuePrefix,
    shards: config.usageQueueShards,
    replicaAck: replicaAcknowledgement(config.redis),
    window: occurredAtWindow(config.usage),
  });
  shutdown.register('usage-client', 'queues', () => client.close());

  const { tenantId, created } = await seedDemoTenant(dataSource);
  logger.info(created ? 'seeded the demo plan and tenant' : 'reusing the demo tenant', { tenantId });
  const traffic = new DemoTraffic({ client, tenantId });
  const usageService = new UsageService(dataSource, { trialLimits: config.usage.trialLimits });
  if (created) logger.info('enqueued starting usage', { events: await traffic.backfill() });

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = async (): Promise<void> => {
    try {
      const stats = await usageService.getUsageStats(tenantId);
      const percentages = Object.fromEntries(Object.entries(stats.usage).map(([agent, item]) => [agent, item.percentage]));
      const sent = await traffic.tick(percentages);
      logger.debug('demo events enqueued', { events: sent });
    } catch (error) {
      logger.warn('demo tick failed; trying again next tick', { error: (error as Error).message });
    }
  };
  const schedule = (): void => {
    timer = setTimeout(() => {
      running = tick().finally(() => {
        if (!shutdown.isShuttingDown) schedule();
      });
    }, TICK_MS);
  };
  // Stop producing first; the queue and connections close after the tick in flight finishes.
  shutdown.register('demo-ticker', 'workers', async () => {
    clearTimeout(timer);
    await running;
  });
  schedule();
  logger.info('demo agent running', { tenantId, everyMs: TICK_MS });
}

main().catch((error: unknown) => {
  process.stderr.write(`[demo-agent] failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
