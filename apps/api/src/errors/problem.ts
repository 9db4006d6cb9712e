import type { Response } from 'express';
import type { FieldError } from '@metering/usage';

/** RFC 9457 media type for every error this API returns. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Base of the `type` URIs; each names a documented problem kind (see the OpenAPI document). */
const PROBLEM_BASE = 'https://usage-metering.dev/problems/';

/** An RFC 9457 problem details body, with the `errors` list used on 400 and `request_id` for support. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  request_id?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, { slug: string; title: string }> = {
  400: { slug: 'validation-failed', title: 'Invalid request' },
  401: { slug: 'unauthorized', title: 'Authentication required' },
  403: { slug: 'forbidden', title: 'Forbidden' },
  404: { slug: 'not-found', title: 'Not found' },
  409: { slug: 'conflict', title: 'Conflict' },
  413: { slug: 'payload-too-large', title: 'Payload too large' },
  415: { slug: 'unsupported-media-type', title: 'Unsupported media type' },
  422: { slug: 'unprocessable', title: 'Cannot be processed' },
  429: { slug: 'rate-limited', title: 'Too many requests' },
  500: { slug: 'internal-error', title: 'Internal server error' },
  503: { slug: 'service-unavailable', title: 'Service unavailable' },
};

/** The problem `type` URI and default title for an HTTP status. */
export function problemKind(status: number): { type: string; title: string } {
  const known = TITLES[status] ?? { slug: `http-${status}`, title: 'Error' };
  return { type: `${PROBLEM_BASE}${known.slug}`, title: known.title };
}

/**
 * An error a route throws to answer with a specific problem. The error middleware turns it into
 * the response; routes never write error bodies themselves.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly options: { errors?: FieldError[]; headers?: Record<string, string>; extensions?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

/** Writes a problem response (used by the error middleware and by middleware that answers directly). */
export function sendProblem(
  res: Response,
  status: number,
  detail: string,
  extra: { errors?: FieldError[]; headers?: Record<string, string>; extensions?: Record<string, unknown> } = {},
): void {
  const requestId = res.locals.requestId as string | undefined;
  const body: ProblemDetails = {
    ...problemKind(status),
    status,
    detail,
    instance: res.req.originalUrl.split('?')[0],
    ...(requestId ? { request_id: requestId } : {}),
    ...(extra.errors ? { errors: extra.errors } : {}),
    ...extra.extensions,
  };
  for (const [name, value] of Object.entries(extra.headers ?? {})) res.setHeader(name, value);
  res.status(status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}
