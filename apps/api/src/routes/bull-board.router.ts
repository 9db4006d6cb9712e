import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Router } from 'express';
import type { RequestHandler } from 'express';
import type { Queue } from 'bullmq';

export const BULL_BOARD_PATH = '/admin/queues';

/** Bull Board over the given queues at /admin/queues, behind `requireOperator`. */
export function bullBoardRouter(queues: readonly Queue[], requireOperator: RequestHandler): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter });
  const router = Router();
  router.use(BULL_BOARD_PATH, requireOperator, serverAdapter.getRouter() as RequestHandler);
  return router;
}
