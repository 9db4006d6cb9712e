import type { Response } from 'express';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Answers 200 with a JSON body already serialized (e.g. an answer shared by many requests, kept
 * as a Buffer). The same bytes and headers as `res.json`, without its per-request work (content
 * type negotiation, charset parsing, string-to-Buffer copy); the hot read routes use it.
 * A HEAD request gets the headers only (Node omits the body).
 */
export function sendJsonBody(res: Response, body: Buffer): void {
  res.setHeader('Content-Type', JSON_CONTENT_TYPE);
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

/** `sendJsonBody` of `value` serialized now. */
export function sendJson(res: Response, value: unknown): void {
  sendJsonBody(res, Buffer.from(JSON.stringify(value)));
}

/**
 * `sendJson` for answers shared by many requests (a cached read): each object is serialized once
 * and its bytes reused for as long as the object lives. The objects must not change.
 */
export function sharedJsonSender(): (res: Response, value: object) => void {
  const bodies = new WeakMap<object, Buffer>();
  return (res, value) => {
    let body = bodies.get(value);
    if (body === undefined) bodies.set(value, (body = Buffer.from(JSON.stringify(value))));
    sendJsonBody(res, body);
  };
}
