export * from './domain/agent-type';
export * from './domain/billing-period';
export * from './domain/event-rules';
export * from './domain/usage-errors';
export * from './domain/invoice-window';
export type { ValidEvent } from './events/valid-event';
export { NO_METADATA } from './events/valid-event';
export * from './events/wire-event';
export { parseTrackEventInputs, parseWireEvent, parseWireEvents } from './events/parse-event';
export type { EventParseContext, EventParseResult, WireEventItem } from './events/parse-event';
export * from './dto/usage-stats.dto';
export * from './entities';
export * from './tracking/usage-tracker.service';
export type { NewDeadLetter } from './tracking/dead-letter';
export * from './tracking/ingest-admission.service';
export * from './tracking/dead-letters.service';
export { deriveIdempotencyKey } from './events/idempotency-key';
export * from './stats/usage-stats.calculator';
export * from './stats/usage.service';
export * from './admin/plan-input';
export * from './admin/tenant-admin.service';
export * from './admin/subscription-sync.repository';
export * from './admin/period-terms.repository';
export * from './queue/queue-names';
export * from './queue/track-job';
export * from './queue/usage-client';
export * from './queue/track-queue-shards';
export * from './queue/replica-ack';
export type { JobDataResult } from './queue/job-data';
export * from './queue/maintenance-job';
export * from './queue/usage-alert-job';
export * from './maintenance/usage-alerts.service';
export * from './maintenance/alert-queue.port';
export * from './maintenance/usage-alert-outbox.service';
export * from './maintenance/usage-rollover.service';
export * from './maintenance/usage-reconciliation.service';
export * from './maintenance/usage-event-partitions.service';
export * from './audit/operator-audit.repository';
export * from './maintenance/counter-holds.repository';
export * from './quota/quota-decision';
export * from './quota/usage-quota.service';
export * from './history/usage-history.service';
export * from './history/usage-events.service';
export type { QueryParams } from './history/query-params';
export { agentParam, integerParam, instantParam, invalidParam, rejectUnknownParams, stringParam } from './history/query-params';
export * from './stats/usage-forecast';
export type {
  LimitPolicy as WireLimitPolicy,
  PeriodAgentUsage,
  StripeReportStatus,
  UsageCheckResponse,
  UsageEventRecord,
  UsageEventsPage,
  UsageHistoryResponse,
  UsagePeriod,
  UsagePeriodsResponse,
} from '@metering/contract';
export * from './corrections/correction-input';
export * from './corrections/usage-corrections.service';
export type { StoredEvent } from './corrections/stored-event.query';
