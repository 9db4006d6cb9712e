import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

// A caller-supplied id is kept only when it is short and plain, so it is safe in logs and headers.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Gives each request an id (the caller's X-Request-Id or a new UUID), echoed in X-Request-Id. */
export const requestIdMiddleware: RequestHandler = (req, res, next) => {
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && ACCEPTABLE_ID.test(given) ? given : randomUUID();
  res.locals.requestId = requestId;
  res.setHeader('X-Request-Id', requestId);
  next();
};
