import { ALL_QUEUES } from '@metering/usage';
import type { QueueName } from '@metering/usage';

/** The queues WORKER_QUEUES selects; an unknown name stops the start with every valid one listed. */
export function servedQueues(selection: string[] | 'all'): QueueName[] {
  if (selection === 'all') return [...ALL_QUEUES];
  const unknown = selection.filter((name) => !(ALL_QUEUES as readonly string[]).includes(name));
  if (unknown.length > 0 || selection.length === 0) {
    throw new Error(
      `WORKER_QUEUES: unknown queue ${unknown.join(', ') || '(empty)'}; use "all" or a comma-separated list of ${ALL_QUEUES.join(', ')}`,
    );
  }
  return [...new Set(selection)] as QueueName[];
}
