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
  /**
   * Commits out at once (WORKER_COMMITS_IN_FLIGHT; default COMMITS_IN_FLIGHT). While that many
   * run, what arrives waits and goes as one larger commit when one finishes (up to
   * MAX_COMMIT_EVENTS events).
   */
  maxCommitsInFlight?: number;
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
 * Commits a batcher has out at once by default (WORKER_COMMITS_IN_FLIGHT's default). Two keep
 * Postgres busy while the next batch forms;
 * more only race each other for the same counter rows (a tenant's counters are locked by every
 * batch that moves them, in one order) and wait in the connection pool.
 */
export const COMMITS_IN_FLIGHT = 2;
/** The largest commit a batcher sends when events piled up behind commits in flight. */
export const MAX_COMMIT_EVENTS = 2000;

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
  private inFlight = 0;
  /** A flush came due (size or wait) while every commit slot was taken: send when one frees. */
  private due = false;
  private readonly maxInFlight: number;

  constructor(private readonly options: TrackEventBatcherOptions) {
    this.maxInFlight = options.maxCommitsInFlight ?? COMMITS_IN_FLIGHT;
  }

  submit(events: ValidEvent[], enqueuedAt: number, deadLetters: NewDeadLetter[] = []): Promise<TrackJobResult> {
    return new Promise<TrackJobResult>((resolve, reject) => {
      this.pending.push({ events, deadLetters, enqueuedAt, resolve, reject });
      this.pendingEvents += events.length;
      if (this.pendingEvents >= this.options.batchSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.batchWaitMs);
    });
  }

  /**
   * Sends what is waiting (up to MAX_COMMIT_EVENTS events) if a commit slot is free; else it goes
   * as soon as one frees, with whatever arrived meanwhile. Batches already sent keep running.
   */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.length > 0 && this.inFlight < this.maxInFlight) this.send(this.take());
    this.due = this.pending.length > 0;
  }

  private send(batch: PendingJob[]): void {
    this.inFlight++;
    void this.process(batch).finally(() => {
      this.inFlight--;
      if (this.due || this.pendingEvents >= this.options.batchSize) this.flush();
      else if (this.pending.length > 0) this.timer ??= setTimeout(() => this.flush(), this.options.batchWaitMs);
    });
  }

  /** Whole jobs from the front, up to MAX_COMMIT_EVENTS events (at least one job). */
  private take(): PendingJob[] {
    let events = 0;
    let count = 0;
    while (count < this.pending.length && (count === 0 || events + this.pending[count]!.events.length <= MAX_COMMIT_EVENTS)) {
      events += this.pending[count]!.events.length;
      count++;
    }
    this.pendingEvents -= events;
    return this.pending.splice(0, count);
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
