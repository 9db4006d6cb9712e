/**
 * The wire contract of the public API (DESIGN.md, "API contract"): what the server sends and the
 * billing page reads. Plain types and constants only, no decorators and no dependencies, so the
 * browser bundle can import it without pulling in any server code.
 */
export { AGENT_TYPES } from './agent-types';
export type { AgentType, AlertLevel } from './agent-types';
export type { AgentUsage, UsageAlert, UsageAlertLevel, UsageStatsResponse } from './usage-stats.contract';
export type {
  HistoryWindow,
  LimitPolicy,
  PeriodAgentUsage,
  StripeReportStatus,
  UsageCheckResponse,
  UsageCorrectionInfo,
  UsageEventRecord,
  UsageEventsPage,
  UsageHistoryPoint,
  UsageHistoryResponse,
  UsagePeriod,
  UsagePeriodsResponse,
} from './usage-history.contract';
