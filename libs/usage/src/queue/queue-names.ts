/** Queue names; the BullMQ prefix (QUEUE_PREFIX, hash-tagged for Redis Cluster) is added by BullMQ. */
export const QUEUES = {
  usageEvents: 'usage-events',
  usageMaintenance: 'usage-maintenance',
  usageAlerts: 'usage-alerts',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];
export const ALL_QUEUES: readonly QueueName[] = Object.values(QUEUES);

/** Job names per queue; every name has exactly one handler in the worker's registry. */
export const JOBS = {
  trackEvent: 'track-event',
  trackEvents: 'track-events',
  resetUsageCounters: 'reset-usage-counters',
  reconcileUsageCounters: 'reconcile-usage-counters',
  reportOverageToStripe: 'report-overage-to-stripe',
  usageAlert: 'usage-alert',
  publishUsageAlerts: 'publish-usage-alerts',
  closeBillingPeriods: 'close-billing-periods',
  reconcileStripeTotals: 'reconcile-stripe-totals',
  maintainUsageEventPartitions: 'maintain-usage-event-partitions',
} as const;

export type JobName = (typeof JOBS)[keyof typeof JOBS];
