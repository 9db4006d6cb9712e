import express, { Router } from 'express';
import type { RequestHandler } from 'express';
import { correctionToWire, parseCorrectionRequest } from '@metering/usage';
import type { UsageCorrectionsService } from '@metering/usage';
import { currentUser, requireRole } from '../auth/jwt-auth';
import { HttpProblem } from '../errors/problem';

export const CORRECTIONS_PATH = '/api/v1/admin/usage/corrections';

export interface UsageCorrectionsRouterDeps {
  corrections: UsageCorrectionsService;
  authenticate: RequestHandler;
  rateLimit: RequestHandler;
}

/**
 * `POST /api/v1/admin/usage/corrections` (role `admin` only): void a stored event or adjust a
 * counter, for the tenant named in the body (an operator action across tenants, unlike every
 * tenant route). 201 with the correction; 200 with the stored one when the correction key was
 * already applied with the same content; 409 when it was used for another correction.
 */
export function usageCorrectionsRouter({ corrections, authenticate, rateLimit }: UsageCorrectionsRouterDeps): Router {
  const router = Router();
  router.post(
    CORRECTIONS_PATH,
    authenticate,
    requireRole('admin'),
    rateLimit,
    express.json({ limit: '16kb', type: ['application/json', 'application/*+json'] }),
    async (req, res) => {
      if (req.body === undefined) throw new HttpProblem(415, 'Send the correction as application/json');
      const request = parseCorrectionRequest(req.body);
      const { correction, replayed } = await corrections.apply(request, `token:${currentUser(res).sub}`);
      res.setHeader('Cache-Control', 'no-store');
      res.status(replayed ? 200 : 201).json({ correction: correctionToWire(correction), replayed });
    },
  );
  return router;
}
