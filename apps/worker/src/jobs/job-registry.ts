import { ALL_QUEUES, JOBS } from '@metering/usage';
import type { JobName, QueueName } from '@metering/usage';
import type { DependenciesOf, JobDefinition, JobHandler } from './job-definition';
import { closeBillingPeriodsJob } from './close-billing-periods.job';
import { maintainUsageEventPartitionsJob } from './maintain-usage-event-partitions.job';
import { publishUsageAlertsJob } from './publish-usage-alerts.job';
import { reconcileStripeTotalsJob } from './reconcile-stripe-totals.job';
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
  [JOBS.closeBillingPeriods]: closeBillingPeriodsJob,
  [JOBS.reconcileStripeTotals]: reconcileStripeTotalsJob,
  [JOBS.maintainUsageEventPartitions]: maintainUsageEventPartitionsJob,
} satisfies { [N in JobName]: JobDefinition<N> };

/** What each job's handler is built from, by job name; the composition root builds one per runtime. */
export type JobDependencies = { [N in JobName]: DependenciesOf<(typeof JOB_REGISTRY)[N]> };

/** A registry whose every definition takes the dependencies filed under its name. */
export type JobRegistry = { readonly [N in JobName]: JobDefinition<N, JobDependencies[N]> };

export function assertJobRegistry(registry: Readonly<Record<JobName, JobDefinition>> = JOB_REGISTRY): void {
  for (const name of Object.values(JOBS)) {
    const definition = registry[name];
    if (!definition) throw new Error(`job ${name} has no handler`);
    if (definition.name !== name) throw new Error(`job ${name} is registered with the handler of ${definition.name}`);
    if (!ALL_QUEUES.includes(definition.queue)) throw new Error(`job ${name} names unknown queue ${definition.queue}`);
  }
}

function handlerOf<N extends JobName>(name: N, dependencies: JobDependencies, registry: JobRegistry): JobHandler {
  const definition: JobDefinition<N, JobDependencies[N]> = registry[name];
  return definition.create(dependencies[name]);
}

/** The handlers of one queue, by job name, each built from its own dependencies. */
export function handlersFor(queue: QueueName, dependencies: JobDependencies, registry: JobRegistry = JOB_REGISTRY): Map<string, JobHandler> {
  return new Map(
    Object.values(JOBS)
      .filter((name) => registry[name].queue === queue)
      .map((name) => [name, handlerOf(name, dependencies, registry)]),
  );
}
