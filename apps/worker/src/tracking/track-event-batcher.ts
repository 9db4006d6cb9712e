import { histogram } from '@metering/platform';
import type { Logger } from '@metering/platform';
import { UsageError } from '@metering/usage';
import type { CounterChange, PreparedEvent, TrackEventInput, UsageTracker } from '@metering/usage';

/** What one job's events did once committed. */
export interface TrackJobResult {
  recorded: number;
  duplicates: number;
}

/** A job whose events cannot be counted: retrying the same data cannot succeed. */
export class InvalidTrackJobError extends Error {
  constructor(readonly errors: ReadonlyArray<{ index: number; error: UsageError }>, eventCount: number) {
    super(
      errors
        .slice(0, 5)
        .map(({ index, error }) => (eventCount > 1 ? `events[${index}]: ${error.message}` : error.message))
        .join('; ') + (errors.length > 5 ? `; and ${errors.length - 5} more` : ''),
    );
    this.name = 'InvalidTrackJobError';
  }
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
  inputs: TrackEventInput[];
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
 * ONE `tracker.commit` per batch, so throughput does not pay a transaction per event. Each job's
 * promise settles only after its own events are committed (or rejected): bad events fail only
 * their job; a commit failure fails every job of the batch, and BullMQ retries them (the unique
 * key on events makes that retry count nothing twice).
 */
export class TrackEventBatcher {
  private pending: PendingJob[] = [];
  private pendingEvents = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: TrackEventBatcherOptions) {}

  submit(inputs: TrackEventInput[], enqueuedAt: number): Promise<TrackJobResult> {
    return new Promise<TrackJobResult>((resolve, reject) => {
      this.pending.push({ inputs, enqueuedAt, resolve, reject });
      this.pendingEvents += inputs.length;
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
    let prepared: Array<PreparedEvent | UsageError>;
    try {
      prepared = await this.options.tracker.prepare(batch.flatMap((job) => job.inputs));
    } catch (error) {
      return this.failAll(batch, error);
    }
    const accepted: Array<{ job: PendingJob; offset: number }> = [];
    const events: PreparedEvent[] = [];
    let cursor = 0;
    for (const job of batch) {
      const items = prepared.slice(cursor, cursor + job.inputs.length);
      cursor += job.inputs.length;
      const errors = items.flatMap((item, index) => (item instanceof UsageError ? [{ index, error: item }] : []));
      if (errors.length > 0) {
        job.reject(new InvalidTrackJobError(errors, job.inputs.length));
        continue;
      }
      accepted.push({ job, offset: events.length });
      events.push(...(items as PreparedEvent[]));
    }
    if (events.length === 0) return;
    let committed: Awaited<ReturnType<UsageTracker['commit']>>;
    try {
      committed = await this.options.tracker.commit(events);
    } catch (error) {
      if (accepted.length > 1 && isDataError(error)) return this.isolate(accepted, events);
      return this.failAll(
        accepted.map(({ job }) => job),
        error,
      );
    }
    batchEvents.observe(events.length);
    await this.afterCommit(committed.counters);
    const now = Date.now();
    for (const { job, offset } of accepted) {
      const results = committed.results.slice(offset, offset + job.inputs.length);
      const recorded = results.filter((result) => result.outcome === 'recorded').length;
      commitLag.observe(Math.max(0, now - job.enqueuedAt) / 1000);
      job.resolve({ recorded, duplicates: results.length - recorded });
    }
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

  /*
   * Postgres rejected the batch's data, not the connection: one job's events are poison. Retrying
   * the whole batch would fail again and take healthy jobs down with it on every retry, so each
   * job is committed on its own; only the poisonous one fails.
   */
  private async isolate(accepted: Array<{ job: PendingJob; offset: number }>, events: PreparedEvent[]): Promise<void> {
    this.options.logger.warn('usage batch rejected by Postgres; committing its jobs one by one', { jobs: accepted.length });
    await Promise.all(
      accepted.map(async ({ job, offset }) => {
        try {
          const own = await this.options.tracker.commit(events.slice(offset, offset + job.inputs.length));
          await this.afterCommit(own.counters);
          const recorded = own.results.filter((result) => result.outcome === 'recorded').length;
          commitLag.observe(Math.max(0, Date.now() - job.enqueuedAt) / 1000);
          job.resolve({ recorded, duplicates: own.results.length - recorded });
        } catch (error) {
          job.reject(error);
        }
      }),
    );
  }

  private failAll(jobs: PendingJob[], error: unknown): void {
    this.options.logger.warn('usage batch not committed; its jobs will be retried', {
      jobs: jobs.length,
      error: String(error),
    });
    for (const job of jobs) job.reject(error);
  }
}

/**
 * SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation): the statement's
 * input is wrong, so retrying the same rows cannot succeed. Connection failures carry no such code.
 */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23)[0-9A-Z]{3}$/.test(code);
}
