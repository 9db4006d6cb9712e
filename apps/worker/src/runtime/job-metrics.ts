import { UnrecoverableError } from 'bullmq';
import type { Job, Queue } from 'bullmq';
import { counter, gauge, histogram } from '@metering/platform';
import type { JobHandler } from '../jobs/job-definition';

/** completed; retry (failed, BullMQ will try again); failed (kept in the failed set). */
export type JobOutcome = 'completed' | 'retry' | 'failed';

const jobsTotal = counter({
  name: 'bullmq_jobs_total',
  help: 'Jobs processed by this worker, by queue, job name and outcome',
  labelNames: ['queue', 'name', 'outcome'] as const,
});
const jobDuration = histogram({
  name: 'bullmq_job_duration_seconds',
  help: 'Processing time of jobs, by queue, job name and outcome',
  labelNames: ['queue', 'name', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120, 600],
});
const queueDepth = gauge({
  name: 'bullmq_queue_jobs',
  help: 'Jobs in each queue by state, read from Redis when /metrics is scraped',
  labelNames: ['queue', 'state'] as const,
});

const DEPTH_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

function outcomeOf(job: Job, error: unknown): JobOutcome {
  if (error instanceof UnrecoverableError) return 'failed';
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1) ? 'failed' : 'retry';
}

type Recorder = (seconds: number) => void;

/** Wraps a handler so every run is counted and timed by its outcome. */
export function measured(queue: string, handler: JobHandler): JobHandler {
  // One pair of label children per (job name, outcome): a job skips prom-client's label hashing.
  const recorders = new Map<string, Recorder>();
  const recorderFor = (name: string, outcome: JobOutcome): Recorder => {
    const key = `${name}\u0000${outcome}`;
    let recorder = recorders.get(key);
    if (!recorder) {
      const labels = { queue, name, outcome };
      const total = jobsTotal.labels(labels);
      const duration = jobDuration.labels(labels);
      recorder = (seconds) => {
        total.inc();
        duration.observe(seconds);
      };
      // Job names come from the queue's own producers; bounded anyway.
      if (recorders.size < 1000) recorders.set(key, recorder);
    }
    return recorder;
  };
  return async (job) => {
    const started = process.hrtime.bigint();
    const record = (outcome: JobOutcome): void =>
      recorderFor(job.name, outcome)(Number(process.hrtime.bigint() - started) / 1e9);
    try {
      const result = await handler(job);
      record('completed');
      return result;
    } catch (error) {
      record(outcomeOf(job, error));
      throw error;
    }
  };
}

/** Reads queue depths into the gauge; called on each scrape so the numbers are current. */
export async function collectQueueDepth(queues: readonly Queue[]): Promise<void> {
  await Promise.all(
    queues.map(async (queue) => {
      const counts = await queue.getJobCounts(...DEPTH_STATES);
      for (const state of DEPTH_STATES) queueDepth.set({ queue: queue.name, state }, counts[state] ?? 0);
    }),
  );
}
