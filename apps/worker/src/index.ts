export { createWorkerRuntime } from './create-worker-runtime';
export type { WorkerRuntime, WorkerRuntimeOptions } from './create-worker-runtime';
export { JOB_REGISTRY, assertJobRegistry } from './jobs/job-registry';
export { scheduledJobs, registerSchedules } from './runtime/schedules';
