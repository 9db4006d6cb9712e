import { vi } from 'vitest';

export interface StubResponse {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Never answers: for asserting loading states. */
  pending?: boolean;
}

export interface FetchStub {
  /** Queues answers for a path (its query ignored); the last one repeats once the queue is down to it. */
  respond(path: string, ...responses: StubResponse[]): void;
  /** Requests received, in order. */
  requests: Array<{ path: string; method: string; authorization: string | null }>;
}

/**
 * Replaces the browser's fetch for component tests (the API itself is tested over real HTTP in
 * apps/api and in the end-to-end test). Unknown paths answer 404.
 */
export function stubFetch(): FetchStub {
  const queues = new Map<string, StubResponse[]>();
  const requests: FetchStub['requests'] = [];
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const path = typeof input === 'string' ? input : input instanceof URL ? input.pathname : input.url;
    const headers = new Headers(init.headers);
    requests.push({ path, method: init.method ?? 'GET', authorization: headers.get('Authorization') });
    // Answers are keyed by the path without its query; `requests` keeps the query to assert on.
    const queue = queues.get(path.split('?')[0]!) ?? [];
    const next = queue.length > 1 ? queue.shift()! : (queue[0] ?? { status: 404, body: { title: 'Not Found' } });
    if (next.pending) return new Promise<Response>(() => undefined);
    const status = next.status ?? 200;
    return new Response(next.body === undefined ? null : JSON.stringify(next.body), {
      status,
      headers: { 'Content-Type': status < 400 ? 'application/json' : 'application/problem+json', ...next.headers },
    });
  });
  return {
    respond: (path, ...responses) => queues.set(path, [...responses]),
    requests,
  };
}
