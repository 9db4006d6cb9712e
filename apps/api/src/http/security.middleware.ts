import type { RequestHandler } from 'express';
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

/**
 * helmet everywhere; the relaxed policy only under the two UI paths. Outside production the CSP
 * does not ask browsers to upgrade to https, since development serves plain http.
 */
export function securityHeaders(production: boolean): RequestHandler {
  const upgrade: Record<string, null> = production ? {} : { upgradeInsecureRequests: null };
  const strict = helmet({ contentSecurityPolicy: { directives: { ...upgrade } } });
  const relaxed = helmet({ contentSecurityPolicy: { directives: { ...UI_DIRECTIVES, ...upgrade } } });
  return (req, res, next) => {
    const isUiPath = RELAXED_CSP_PATHS.some((prefix) => req.path === prefix || req.path.startsWith(`${prefix}/`));
    (isUiPath ? relaxed : strict)(req, res, next);
  };
}

/** CORS for the billing page's origin only (credentials are bearer tokens, not cookies). */
export function corsForWebOrigin(webOrigin: string): RequestHandler {
  const origins = webOrigin.split(',').map((origin) => origin.trim()).filter(Boolean);
  return cors({
    origin: origins,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'RateLimit', 'RateLimit-Policy', 'Retry-After'],
    maxAge: 600,
  });
}
