/**
 * The response of `GET /api/v1/usage` is the wire contract's type itself (@metering/contract),
 * the one the billing page reads, so server and browser cannot drift apart.
 */
export type { AgentUsage, UsageAlert, UsageStatsResponse } from '@metering/contract';
