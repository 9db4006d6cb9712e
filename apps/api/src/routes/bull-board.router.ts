import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Router } from 'express';
import type { RequestHandler } from 'express';
import type { Queue } from 'bullmq';
import type { Logger } from '@metering/platform';
import type { OperatorAuditRepository } from '@metering/usage';
import { currentOperator } from '../auth/operator-auth';
import { HttpProblem } from '../errors/problem';
import { boardActionOf } from './bull-board-action';

export const BULL_BOARD_PATH = '/admin/queues';

const READ_METHODS = new Set(['GET', 'HEAD']);

export interface BullBoardRouterDeps {
  queues: readonly Queue[];
  /** Sets res.locals.operator (authenticateOperator). */
  authenticate: RequestHandler;
  audit: OperatorAuditRepository;
  logger: Logger;
}

function boardRouter(queues: readonly Queue[], readOnlyMode: boolean): RequestHandler {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode })), serverAdapter });
  return serverAdapter.getRouter() as RequestHandler;
}

/**
 * Bull Board at /admin/queues. Operators (role `operator`, or basic auth) get the read-only board,
 * whose UI offers no actions; a write request from them is refused here with 403 whatever the UI
 * shows. Admins (role `admin`) get the full board, and each of their writes is recorded in
 * `operator_audit_log` before it runs (no row, no action) and completed with its status.
 */
export function bullBoardRouter(deps: BullBoardRouterDeps): Router {
  const readOnly = boardRouter(deps.queues, true);
  const writable = boardRouter(deps.queues, false);

  const guardWrites: RequestHandler = (req, res, next) => {
    if (READ_METHODS.has(req.method)) return next();
    const operator = currentOperator(res);
    if (!operator.canWrite) {
      return next(new HttpProblem(403, 'Bull Board is read-only for operators; changing jobs or queues needs a token with role admin'));
    }
    const { action, queue, jobId } = boardActionOf(req.path);
    deps.audit
      .begin({
        actor: operator.actor,
        actorTenantId: operator.tenantId,
        action,
        queue,
        jobId,
        method: req.method,
        path: req.originalUrl.slice(0, 2000),
        requestId: (res.locals.requestId as string | undefined) ?? null,
      })
      .then(
        (auditId) => {
          res.once('finish', () => {
            deps.audit.complete(auditId, res.statusCode).catch((error: unknown) =>
              deps.logger.error('operator audit row not completed', { auditId, error: String(error) }),
            );
          });
          next();
        },
        (error: unknown) => {
          deps.logger.error('operator audit row not written; action refused', { action, queue, jobId, error: String(error) });
          next(new HttpProblem(503, 'The audit log is unavailable, so no change is made; retry later'));
        },
      );
  };

  const router = Router();
  router.use(BULL_BOARD_PATH, deps.authenticate, guardWrites, (req, res, next) =>
    (currentOperator(res).canWrite ? writable : readOnly)(req, res, next),
  );
  return router;
}
