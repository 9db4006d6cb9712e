import type { Logger } from '@metering/platform';
import { toUsageAlertJobData } from '../queue/usage-alert-job';
import type { CounterChange } from '../tracking/usage-tracker.service';
import type { AlertQueue, AlertQueueJob } from './alert-queue.port';
import type { NewUsageAlert, UsageAlertsService } from './usage-alerts.service';

/** Retried with backoff; completed ones kept long enough to absorb a second hand-over of the same alert. */
export const ALERT_JOB_OPTIONS: AlertQueueJob['options'] = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** Alerts younger than this may still be being handed over by the commit that wrote them. */
export const ALERT_PUBLISH_GRACE_MS = 60_000;

export interface UsageAlertOutboxOptions {
  logger: Logger;
  /** How old an unpublished alert must be before the sweep takes it (default ALERT_PUBLISH_GRACE_MS). */
  graceMs?: number;
  /** Alerts read and handed over per round of the sweep (default 500). */
  pageSize?: number;
}

/**
 * The outbox between `usage_alerts` and the `usage-alerts` queue. A row is written first (by
 * UsageAlertsService), then handed to the queue, then marked published; `published_at` is set
 * only after the queue took the job. If the enqueue fails (e.g. Redis refusing writes at its
 * memory limit) or the worker stops in between, the row stays unpublished and the sweep hands it
 * over later. A row handed over twice gives one job: its job id is the row's.
 */
export class UsageAlertOutbox {
  private readonly graceMs: number;
  private readonly pageSize: number;

  constructor(
    private readonly alerts: UsageAlertsService,
    private readonly queue: AlertQueue,
    private readonly options: UsageAlertOutboxOptions,
  ) {
    this.graceMs = options.graceMs ?? ALERT_PUBLISH_GRACE_MS;
    this.pageSize = options.pageSize ?? 500;
  }

  /** Records the alerts one commit's counters raise (see UsageAlertsService) and hands them over. */
  async raise(changes: readonly CounterChange[]): Promise<void> {
    await this.publish(await this.alerts.recordCrossings(changes));
  }

  /** Hands stored alerts to the queue, one job each, then marks them published. */
  async publish(stored: readonly NewUsageAlert[]): Promise<void> {
    if (stored.length === 0) return;
    await this.queue.addAlerts(
      stored.map((alert) => ({ jobId: `alert-${alert.id}`, data: toUsageAlertJobData(alert), options: ALERT_JOB_OPTIONS })),
    );
    await this.alerts.markPublished(stored.map((alert) => alert.id));
  }

  /**
   * Hands over the alerts that were stored but never reached the queue, oldest first, page by
   * page until none older than the grace period is left. Each page is marked once enqueued, so a
   * failure part-way keeps what was done.
   */
  async publishUnpublished(): Promise<{ published: number }> {
    let published = 0;
    for (;;) {
      const waiting = await this.alerts.unpublished(this.graceMs, this.pageSize);
      if (waiting.length === 0) break;
      await this.publish(waiting);
      published += waiting.length;
      if (waiting.length < this.pageSize) break;
    }
    if (published > 0) this.options.logger.warn('published usage alerts that had not reached the queue', { published });
    return { published };
  }
}
