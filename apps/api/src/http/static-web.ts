import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';

/** Paths the SPA fallback never answers: they belong to the API and its tools. */
const SERVER_PREFIXES = ['/api/', '/admin/', '/health/', '/metrics'];

/**
 * Serves the built billing page (`apps/web/dist`) when it exists, with an SPA fallback: a browser
 * GET for a client-side route such as /settings/billing gets index.html. Returns null when there
 * is no build, so the API runs without the web app.
 */
export function staticWebRouter(distDir: string): Router | null {
  const indexFile = path.join(distDir, 'index.html');
  if (!existsSync(indexFile)) return null;
  const router = Router();
  router.use(express.static(distDir, { index: false, maxAge: '1h' }));
  router.use((req, res, next) => {
    const isPageRequest = (req.method === 'GET' || req.method === 'HEAD') && req.accepts('html') === 'html';
    if (!isPageRequest || SERVER_PREFIXES.some((prefix) => req.path.startsWith(prefix))) {
      next();
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexFile);
  });
  return router;
}
