import type { Job } from 'bullmq';
import type { JobName, QueueName } from '@metering/usage';

export type JobHandler = (job: Job) => Promise<unknown>;

/**
 * One job name, the queue it runs on, and how to build its (thin) handler from exactly the
 * dependencies it uses (`D`). The composition root builds each job's dependencies once per
 * runtime; `create` runs once, for the queues the process serves.
 */
export interface JobDefinition<N extends JobName = JobName, D = never> {
  name: N;
  queue: QueueName;
  create(dependencies: D): JobHandler;
}

/** The dependencies a definition's handler is built from. */
export type DependenciesOf<T> = T extends JobDefinition<JobName, infer D> ? D : never;
