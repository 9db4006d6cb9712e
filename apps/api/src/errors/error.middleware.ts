import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '@metering/platform';
import { isUsageError } from '@metering/usage';
import type { UsageErrorCode } from '@metering/usage';
import { HttpProblem, sendProblem } from './problem';

/** HTTP status of each domain error code. */
const STATUS_BY_CODE: Record<UsageErrorCode, number> = {
  VALIDATION_FAILED: 400,
  TENANT_NOT_FOUND: 404,
  SUBSCRIPTION_NOT_FOUND: 404,
  PLAN_NOT_FOUND: 404,
  SUBSCRIPTION_INACTIVE: 409,
  PERIOD_FINAL: 422,
  IDEMPOTENCY_CONFLICT: 409,
  QUOTA_EXCEEDED: 409,
  EVENT_NOT_FOUND: 404,
  CORRECTION_CONFLICT: 409,
  CORRECTION_REFUSED: 422,
};

/** The detail of a per-event refusal; the events and reasons are in `errors`. */
function detailOf(code: UsageErrorCode, message: string): string {
  // A correction is refused for one reason, which its message states in full.
  if (code === 'EVENT_NOT_FOUND' || code === 'CORRECTION_CONFLICT' || code === 'CORRECTION_REFUSED') return message;
  if (code === 'PERIOD_FINAL') return 'Events fall in a billing period whose invoice is final; see errors';
  if (code === 'IDEMPOTENCY_CONFLICT') return 'Idempotency keys were already used for different events; see errors';
  return 'The request was refused; see errors';
}

/** body-parser errors carry `type` and `status`; map them to problems with a useful detail. */
interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

function bodyParserProblem(error: BodyParserError): HttpProblem | null {
  switch (error.type) {
    case 'entity.parse.failed':
      return new HttpProblem(400, 'The request body is not valid JSON', {
        errors: [{ field: 'body', message: 'body must be valid JSON' }],
      });
    case 'entity.too.large':
      return new HttpProblem(413, 'The request body is larger than this endpoint accepts');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpProblem(415, 'The request body encoding or charset is not supported');
    default:
      if (error.expose && typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
        return new HttpProblem(error.status, 'The request could not be read');
      }
      return null;
  }
}

/** 404 problem for any path no router claimed. */
export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, 404, `No route for ${req.method} ${req.path}`);
};

/**
 * The one error middleware: domain errors by code, HttpProblem as given, body-parser errors,
 * and anything else as a 500 that is logged with the request id and returns no internals.
 */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof HttpProblem) {
      sendProblem(res, error.status, error.detail, error.options);
      return;
    }
    if (isUsageError(error)) {
      const status = STATUS_BY_CODE[error.code] ?? 400;
      // Per-event refusals (422 period final, 409 key conflict) name each event in `errors` too.
      const errors = error.fieldErrors.length > 0 ? error.fieldErrors : undefined;
      const detail = status === 400 ? 'The request has invalid fields; see errors' : errors ? detailOf(error.code, error.message) : error.message;
      sendProblem(res, status, detail, { errors });
      return;
    }
    const parserProblem = bodyParserProblem(error as BodyParserError);
    if (parserProblem) {
      sendProblem(res, parserProblem.status, parserProblem.detail, parserProblem.options);
      return;
    }
    const requestId = res.locals.requestId as string | undefined;
    logger.error('unhandled error', {
      requestId,
      method: req.method,
      path: req.path,
      error: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
    sendProblem(res, 500, 'An unexpected error occurred; quote the request id when reporting it');
  };
}
