import { problemExamples } from './examples';

type ProblemExample = keyof typeof problemExamples;

const rateLimitHeaders = {
  RateLimit: {
    description: 'IETF draft-8 RateLimit header: remaining quota (r) and seconds to reset (t)',
    schema: { type: 'string' },
    example: '"usage-read"; r=9; t=60',
  },
  'RateLimit-Policy': {
    description: 'IETF draft-8 policy: quota (q) per window (w, seconds), per tenant',
    schema: { type: 'string' },
    example: '"usage-read"; q=10; w=60',
  },
};

const requestIdHeader = {
  'X-Request-Id': { description: 'Request id (the caller\'s, when valid, or a new UUID)', schema: { type: 'string' } },
};

/** A problem+json response with named examples. */
export function problemResponse(description: string, ...examples: ProblemExample[]) {
  return {
    description,
    headers: requestIdHeader,
    content: {
      'application/problem+json': {
        schema: { $ref: '#/components/schemas/Problem' },
        examples: Object.fromEntries(examples.map((name) => [name, { value: problemExamples[name] }])),
      },
    },
  };
}

/** Reusable `components.responses`. */
export const responses = {
  Unauthorized: {
    ...problemResponse('Missing, invalid or expired bearer token (nothing says which check failed)', 'unauthorized'),
    headers: { ...requestIdHeader, 'WWW-Authenticate': { schema: { type: 'string' }, example: 'Bearer error="invalid_token"' } },
  },
  Forbidden: problemResponse('The token lacks a required role', 'forbidden'),
  RateLimited: {
    ...problemResponse('Per-tenant rate limit exceeded', 'rateLimited'),
    headers: {
      ...requestIdHeader,
      ...rateLimitHeaders,
      'Retry-After': { description: 'Seconds until the window resets', schema: { type: 'integer' } },
    },
  },
  InternalError: problemResponse('Unexpected error; logged with the request id, no internals returned', 'internal'),
};

export { rateLimitHeaders, requestIdHeader };
