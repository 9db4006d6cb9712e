import { ALL_QUEUES, JOBS } from '@metering/usage';
import type { JobName, QueueName } from '@metering/usage';
import type { JobDefinition, JobHandler, WorkerServices } from './job-definition';
import { publishUsageAlertsJob } from './publish-usage-alerts.job';
import { reconcileUsageCountersJob } from './reconcile-usage-counters.job';
import { reportOverageToStripeJob } from './report-overage-to-stripe.job';
import { resetUsageCountersJob } from './reset-usage-counters.job';
import { trackEventJob, trackEventsJob } from './track-events.job';
import { usageAlertJob } from './usage-alert.job';

/**
 * Every job name maps to exactly one definition: the compiler rejects a missing or extra name,
 * and `assertJobRegistry` checks at start-up that each entry is filed under its own name.
 */
export const JOB_REGISTRY = {
  [JOBS.trackEvent]: trackEventJob,
  [JOBS.trackEvents]: trackEventsJob,
  [JOBS.resetUsageCounters]: resetUsageCountersJob,
  [JOBS.reconcileUsageCounters]: reconcileUsageCountersJob,
  [JOBS.reportOverageToStripe]: reportOverageToStripeJob,
  [JOBS.usageAlert]: usageAlertJob,
  [JOBS.publishUsageAlerts]: publishUsageAlertsJob,
} satisfies { [N in JobName]: JobDefinition<N> };

export type JobRegistry = Readonly<Record<JobName, JobDefinition>>;

export function assertJobRegistry(registry: JobRegistry = JOB_REGISTRY): void {
  for (const name of Object.values(JOBS)) {
    const definition = registry[name];
    if (!definition) throw new Error(`job ${name} has no handler`);
    if (definition.name !== name) throw new Error(`job ${name} is registered with the handler of ${definition.name}`);
    if (!ALL_QUEUES.includes(definition.queue)) throw new Error(`job ${name} names unknown queue ${definition.queue}`);
  }
}

/** The handlers of one queue, by job name. */
export function handlersFor(queue: QueueName, services: WorkerServices, registry: JobRegistry = JOB_REGISTRY): Map<string, JobHandler> {
  return new Map(
    Object.values(registry)
      .filter((definition) => definition.queue === queue)
      .map((definition) => [definition.name, definition.create(services)]),
  );
}
