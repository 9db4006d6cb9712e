import { UsageQuotaService, createUsageClient, occurredAtWindow } from '@metering/usage';
import type { UsageClient } from '@metering/usage';
import type { ApiHarness } from './api-harness';

/** A producer client over the harness's Redis and database, with the `block` policy's quota (staleness 0). */
export function usageClientFor(harness: ApiHarness): UsageClient {
  return createUsageClient({
    redis: harness.redis,
    prefix: harness.prefix,
    window: occurredAtWindow(harness.config.usage),
    quota: new UsageQuotaService(harness.db.dataSource, { trialLimits: harness.config.usage.trialLimits, staleMs: 0 }),
  });
}
