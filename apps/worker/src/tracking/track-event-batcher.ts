import { histogram } from '@metering/platform';
import type { Logger } from '@metering/platform';
import type { CounterChange, NewDeadLetter, TrackGroupsResult, UsageTracker, ValidEvent } from '@metering/usage';

/** What one job's events did once committed. */
export interface TrackJobResult {
  recorded: number;
  duplicates: number;
  /** Not counted; each is in usage_dead_letters with its reason. */
  deadLettered: number;
}

export interface TrackEventBatcherOptions {
  tracker: UsageTracker;
  logger: Logger;
  /** Flush once this many events are waiting. */
  batchSize: number;
  /** Flush at the latest this long after the first event of a batch arrived. */
  batchWaitMs: number;
  /** Runs after each commit with the counters it moved (threshold alerts); errors are logged. */
  onCommitted?: (counters: CounterChange[]) => Promise<void>;
}

interface PendingJob {
  events: ValidEvent[];
  /** The job's events the worker could not parse: written with the batch, never counted. */
  deadLetters: NewDeadLetter[];
  enqueuedAt: number;
  resolve: (result: TrackJobResult) => void;
  reject: (error: unknown) => void;
}

const commitLag = histogram({
  name: 'usage_event_commit_lag_seconds',
  help: 'Time from the producer enqueueing a track job to its events being committed',
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
});
const batchEvents = histogram({
  name: 'usage_commit_batch_events',
  help: 'Events per micro-batch commit',
  buckets: [1, 5, 10, 25, 50, 100, 200, 500, 1000, 2000],
});

/**
 * Micro-batching: gathers the events of concurrently running track jobs and records them with
 * ONE `tracker.track` per batch (one job = one group), so throughput does not pay a transaction
 * per event. Each job's promise settles only after its own events are committed: events that
 * cannot be counted are dead-lettered by the tracker (the job still completes, the rest of its
 * events counted); a commit failure fails the jobs it hit, and
 * BullMQ retries them (the unique key on events makes that retry count nothing twice). Poison
 * isolation lives in the tracker.
 */
export class TrackEventBatcher {
  private pending: PendingJob[] = [];
  private pendingEvents = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: TrackEventBatcherOptions) {}

  submit(events: ValidEvent[], enqueuedAt: number, deadLetters: NewDeadLetter[] = []): Promise<TrackJobResult> {
    return new Promise<TrackJobResult>((resolve, reject) => {
      this.pending.push({ events, deadLetters, enqueuedAt, resolve, reject });
      this.pendingEvents += events.length;
      if (this.pendingEvents >= this.options.batchSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.batchWaitMs);
    });
  }

  /** Sends whatever is waiting now; batches already sent keep running concurrently. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingEvents = 0;
    void this.process(batch);
  }

  private async process(batch: PendingJob[]): Promise<void> {
    let tracked: TrackGroupsResult;
    try {
      tracked = await this.options.tracker.track(
        batch.map((job) => job.events),
        batch.map((job) => job.deadLetters),
      );
    } catch (error) {
      return this.failAll(batch, error);
    }
    let committedEvents = 0;
    for (const group of tracked.groups) if (group.status === 'committed') committedEvents += group.results.length;
    if (committedEvents > 0) {
      batchEvents.observe(committedEvents);
      await this.afterCommit(tracked.counters);
    }
    const now = Date.now();
    batch.forEach((job, index) => {
      const group = tracked.groups[index]!;
      if (group.status === 'failed') return job.reject(group.error);
      let recorded = 0;
      let duplicates = 0;
      for (const result of group.results) {
        if (result.outcome === 'recorded') recorded++;
        else if (result.outcome === 'duplicate') duplicates++;
      }
      commitLag.observe(Math.max(0, now - job.enqueuedAt) / 1000);
      job.resolve({ recorded, duplicates, deadLettered: job.events.length + job.deadLetters.length - recorded - duplicates });
    });
  }

  /* The events are committed whatever happens here: failing their jobs would only make the
   * retries duplicates, so an alerting failure is logged, not propagated. */
  private async afterCommit(counters: CounterChange[]): Promise<void> {
    if (!this.options.onCommitted) return;
    try {
      await this.options.onCommitted(counters);
    } catch (error) {
      this.options.logger.error('threshold alerting failed after commit', { error: String(error) });
    }
  }

  private failAll(jobs: PendingJob[], error: unknown): void {
    this.options.logger.warn('usage batch not tracked; its jobs will be retried', {
      jobs: jobs.length,
      error: String(error),
    });
    for (const job of jobs) job.reject(error);
  }
}
