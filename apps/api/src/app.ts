import express from 'express';
import type { Express } from 'express';
import { resolveJwtKeys } from '@metering/auth';
import { StripeWebhookService, UsagePeriodsService } from '@metering/billing';
import {
  IngestAdmission,
  OperatorAuditRepository,
  UsageAlertsService,
  UsageCorrectionsService,
  UsageEventsService,
  UsageHistoryService,
  UsageQuotaService,
  UsageService,
} from '@metering/usage';
import type { ApiDeps } from './app-deps';
import { BasicAuthLockout } from './auth/basic-auth-lockout';
import { createJwtAuthenticator } from './auth/jwt-auth';
import { authenticateOperator } from './auth/operator-auth';
import { errorMiddleware, notFoundHandler } from './errors/error.middleware';
import { requestIdMiddleware } from './http/request-id.middleware';
import { corsForWebOrigin, securityHeaders } from './http/security.middleware';
import { staticWebRouter } from './http/static-web';
import { httpMetricsMiddleware } from './metrics/http-metrics';
import { ingestBudget } from './rate-limit/ingest-budget';
import { createIpGuard } from './rate-limit/ip-guard';
import { createRedisMemoryGuard } from './rate-limit/redis-memory-guard';
import { tenantRateLimit } from './rate-limit/tenant-rate-limit';
import { bullBoardRouter } from './routes/bull-board.router';
import { devTokenRouter } from './routes/dev-token.router';
import { docsRouter } from './routes/docs.router';
import { eventsRouter } from './routes/events.router';
import { healthRouter } from './routes/health.router';
import { stripeWebhooksRouter } from './routes/stripe-webhooks.router';
import { usageRouter } from './routes/usage.router';
import { usageCheckRouter } from './routes/usage-check.router';
import { usageCorrectionsRouter } from './routes/usage-corrections.router';
import { usageEventsRouter } from './routes/usage-events.router';
import { usageHistoryRouter } from './routes/usage-history.router';

/**
 * Builds the HTTP app from its dependencies; opens nothing itself, so tests drive it with
 * supertest and main.ts decides what to listen on and how to shut down.
 */
export function createApp(deps: ApiDeps): Express {
  const { config, dataSource, redis, logger } = deps;
  const reads = deps.readDataSource ?? dataSource;
  const keys = resolveJwtKeys(config);
  if (keys.usingDevSecret) logger.warn('JWT_SECRET is not set: using the development secret (never in production)');
  const rateLimitPrefix = deps.rateLimitPrefix ?? `rl:${config.queuePrefix}:`;
  const ipGuard = createIpGuard({ redis, keyPrefix: rateLimitPrefix, perMinute: config.ipLimit.perMinute, logger });
  const jwtAuth = createJwtAuthenticator(keys, { onFailure: ipGuard.noteFailure });
  const redisMemory = createRedisMemoryGuard({
    redis,
    shedPercent: config.ingestBudget.redisMemoryShedPercent,
    sampleMs: config.ingestBudget.redisMemorySampleMs,
    logger,
  });
  const limiter = (name: string, perMinute: number) =>
    tenantRateLimit({ name, perMinute, redis, keyPrefix: rateLimitPrefix, logger });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', config.ipLimit.trustProxy);
  app.set('redis-memory-guard', redisMemory);
  // The per-IP limit comes before everything that costs work: token checks, passwords, body parsing.
  app.use(requestIdMiddleware, ipGuard.middleware, httpMetricsMiddleware, securityHeaders(config.env === 'production'));
  app.use(corsForWebOrigin(config.api.webOrigin));

  // Body parsers are per route (see each router), never global. The busiest routes (usage reads,
  // event ingest) are mounted first: every router before them is walked on each of their requests.
  // Forecast alerts (usage read) and thresholds crossed by a correction are recorded once per
  // period; the worker's outbox job notifies them.
  const usageAlerts = new UsageAlertsService(dataSource, { trialLimits: config.usage.trialLimits, logger });
  app.use(
    usageRouter({
      usageService: new UsageService(reads, {
        trialLimits: config.usage.trialLimits,
        clock: deps.clock,
        cacheMs: config.api.usageReadCacheMs,
        alerts: usageAlerts,
      }),
      authenticate: jwtAuth.authenticate,
      rateLimit: limiter('usage-read', config.api.usageRateLimitPerMinute),
    }),
  );
  // Issue 17: the quota check (as hot as the usage read: agents ask before each unit of work).
  app.use(
    usageCheckRouter({
      quota: deps.quota ?? new UsageQuotaService(dataSource, { trialLimits: config.usage.trialLimits, clock: deps.clock }),
      authenticate: jwtAuth.authenticate,
      rateLimit: limiter('usage-check', config.api.ingestRateLimitPerMinute),
    }),
  );
  app.use(
    eventsRouter({
      usageClient: deps.usageClient,
      admission: new IngestAdmission(dataSource, { clock: deps.clock, invoiceGraceSeconds: config.usage.invoiceGraceSeconds }),
      redis,
      authenticate: jwtAuth.authenticate,
      rateLimit: limiter('ingest', config.api.ingestRateLimitPerMinute),
      shedWhenRedisFull: redisMemory.middleware,
      ingestBudget: ingestBudget({ redis, keyPrefix: rateLimitPrefix, logger, ...config.ingestBudget }),
    }),
  );
  // Issue 17: history, past periods and the events drill-down.
  app.use(
    usageHistoryRouter({
      history: new UsageHistoryService(reads),
      periods: new UsagePeriodsService(reads),
      clock: deps.clock,
      authenticate: jwtAuth.authenticate,
      historyRateLimit: limiter('usage-history', config.api.usageRateLimitPerMinute),
      periodsRateLimit: limiter('usage-periods', config.api.usageRateLimitPerMinute),
    }),
  );
  app.use(
    usageEventsRouter({
      events: new UsageEventsService(reads),
      authenticate: jwtAuth.authenticate,
      rateLimit: limiter('usage-events-read', config.api.usageRateLimitPerMinute),
    }),
  );
  // Issue 18: operator corrections (role admin), audited in usage_corrections itself.
  app.use(
    usageCorrectionsRouter({
      corrections: new UsageCorrectionsService(dataSource, {
        logger,
        clock: deps.clock,
        invoiceGraceSeconds: config.usage.invoiceGraceSeconds,
        alerts: usageAlerts,
      }),
      authenticate: jwtAuth.authenticate,
      rateLimit: limiter('usage-corrections', config.api.usageRateLimitPerMinute),
    }),
  );
  app.use(healthRouter({ dataSource, redis, isShuttingDown: deps.isShuttingDown }));
  // /metrics is served on its own port (main.ts, API_METRICS_PORT), never on the public one.
  app.use(docsRouter());
  // Authenticated by Stripe's signature over the raw body, which this router reads itself.
  app.use(
    stripeWebhooksRouter({
      webhooks: new StripeWebhookService({ dataSource, webhookSecret: config.stripe.webhookSecret, logger }),
    }),
  );
  // Only when asked for (DEV_LOGIN=true); the config refuses it together with NODE_ENV=production.
  if (config.devLogin) app.use(devTokenRouter({ dataSource, keys, demoTenantId: config.api.demoTenantId }));
  app.use(
    bullBoardRouter({
      queues: deps.queues,
      authenticate: authenticateOperator({
        jwtAuth,
        credentials: { username: config.auth.operatorUsername, password: config.auth.operatorPassword },
        lockout: new BasicAuthLockout({
          redis,
          keyPrefix: rateLimitPrefix,
          maxFailures: config.auth.operatorLoginMaxFailures,
          lockoutSeconds: config.auth.operatorLockoutSeconds,
        }),
        onFailure: ipGuard.noteFailure,
      }),
      audit: new OperatorAuditRepository(dataSource),
      logger,
    }),
  );

  // Feature routers from other modules (e.g. routes/stripe-webhook.router.ts) mount here.
  for (const router of deps.extraRouters ?? []) app.use(router);

  const web = deps.webDistDir ? staticWebRouter(deps.webDistDir) : null;
  if (web) app.use(web);
  // main.ts prints the billing page URL only when there is a build to serve.
  app.set('web-served', web !== null);

  app.use(notFoundHandler);
  app.use(errorMiddleware(logger));
  return app;
}
