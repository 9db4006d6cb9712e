/** A Bull Board write request, as the audit log records it. */
export interface BoardAction {
  action: string;
  queue: string | null;
  jobId: string | null;
}

/** Queue-level verbs of Bull Board's API (`/api/queues/:queue/<verb>`). */
const QUEUE_VERBS = new Set(['add', 'promote', 'pause', 'resume', 'empty', 'obliterate', 'concurrency', 'rate-limit']);

const decode = (segment: string | undefined): string | null => {
  if (segment === undefined) return null;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/**
 * What a write request to Bull Board's API does, from its path below the board
 * (`/api/queues/usage-events/<job id>/retry` -> retry of that job). Paths it does not know are
 * still recorded, under action `other`.
 */
export function boardActionOf(path: string): BoardAction {
  const [api, queues, ...rest] = path.split('?')[0]!.split('/').filter(Boolean);
  if (api !== 'api' || queues !== 'queues' || rest.length === 0) return { action: 'other', queue: null, jobId: null };
  if (rest.length === 1) return { action: `${rest[0]}-all`, queue: null, jobId: null };
  const [queue, second, third, fourth] = rest;
  if (rest.length === 2 && QUEUE_VERBS.has(second!)) return { action: second!, queue: decode(queue), jobId: null };
  if (second === 'retry' || second === 'clean') return { action: `${second}-all:${third}`, queue: decode(queue), jobId: null };
  if (second === 'rate-limit') return { action: `rate-limit-${third}`, queue: decode(queue), jobId: null };
  if (second === 'job-schedulers') return { action: `job-scheduler-${fourth ?? 'update'}`, queue: decode(queue), jobId: decode(third) };
  return { action: third ?? 'other', queue: decode(queue), jobId: decode(second) };
}
