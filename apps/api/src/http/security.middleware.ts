import type { Request, RequestHandler, Response } from 'express';
import cors from 'cors';
import helmet from 'helmet';

/** Paths whose UIs (Swagger UI, Bull Board) need inline scripts and styles. */
export const RELAXED_CSP_PATHS = ['/api/docs', '/admin/queues'];

const UI_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'", "'unsafe-inline'"],
  styleSrc: ["'self'", "'unsafe-inline'", 'https:'],
  imgSrc: ["'self'", 'data:', 'https:'],
  fontSrc: ["'self'", 'data:', 'https:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'self'"],
};

/** The JSON and CSV API: no document is ever rendered from its answers. */
export const API_PATH_PREFIX = '/api/v1/';

/**
 * The headers an API answer needs (OWASP REST Security Cheat Sheet, "Security headers"): nothing
 * may be loaded, framed or sniffed from it, it is not readable cross-origin without CORS, and https
 * sticks. helmet's other headers govern documents (opener isolation, DNS prefetching, IE8
 * downloads, Flash policies, the legacy XSS auditor) and cost every API answer ~600 bytes.
 * `Cache-Control: no-store` is set by each route.
 */
const API_HEADERS: ReadonlyArray<[string, string]> = [
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
];

/**
 * helmet on documents (the billing page, health, docs): the relaxed policy only under the two UI
 * paths; the lean API set under `/api/v1/`. Outside production the documents' CSP does not ask
 * browsers to upgrade to https, since development serves plain http.
 */
export function securityHeaders(production: boolean): RequestHandler {
  const upgrade: Record<string, null> = production ? {} : { upgradeInsecureRequests: null };
  const strict = staticHeaders(helmet({ contentSecurityPolicy: { directives: { ...upgrade } } }));
  const relaxed = staticHeaders(helmet({ contentSecurityPolicy: { directives: { ...UI_DIRECTIVES, ...upgrade } } }));
  return (req, res, next) => {
    const path = req.path;
    let headers: ReadonlyArray<[string, string]> = strict;
    if (path.startsWith(API_PATH_PREFIX)) headers = API_HEADERS;
    else if (RELAXED_CSP_PATHS.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) headers = relaxed;
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

/**
 * The headers a helmet middleware sets, read once. With our options every value is fixed (no
 * per-request CSP nonces), so a request only copies them instead of running helmet's thirteen
 * nested middlewares. Fails loudly at start-up if a helmet version ever makes them depend on the
 * request or reports an error.
 */
function staticHeaders(middleware: RequestHandler): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => headers.push([name, String(value)]),
    // Only X-Powered-By, which the app never sets (x-powered-by is disabled).
    removeHeader: () => undefined,
  };
  const noRequest = new Proxy({} as Request, {
    get: (_target, property) => {
      throw new Error(`helmet read req.${String(property)}: its headers are no longer static`);
    },
  });
  let outcome: unknown = 'not called';
  void middleware(noRequest, recorder as unknown as Response, (error?: unknown) => (outcome = error));
  if (outcome !== undefined) throw new Error(`helmet did not set its headers synchronously: ${String(outcome)}`);
  return headers;
}

/**
 * CORS for the billing page's origin only (credentials are bearer tokens, not cookies). A request
 * without an Origin header is not a CORS request (browsers send Origin on every cross-origin
 * request and preflight), so it only gets `Vary: Origin`, which keeps shared caches from serving
 * its answer to a cross-origin caller, and skips the cors package's per-request work.
 */
export function corsForWebOrigin(webOrigin: string): RequestHandler {
  const origins = webOrigin.split(',').map((origin) => origin.trim()).filter(Boolean);
  const handler = cors({
    origin: origins,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'RateLimit', 'RateLimit-Policy', 'Retry-After'],
    maxAge: 600,
  });
  return (req, res, next) => {
    if (req.headers.origin !== undefined || req.method === 'OPTIONS') {
      handler(req, res, next);
      return;
    }
    res.setHeader('Vary', 'Origin');
    next();
  };
}
