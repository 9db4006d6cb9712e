import { Router } from 'express';
import type { RequestHandler } from 'express';
import swaggerUi from 'swagger-ui-express';
import { openApiDocument } from '../openapi/openapi.document';

/** `GET /api/openapi.json` (the OpenAPI 3.1 document) and `GET /api/docs` (Swagger UI over it). */
export function docsRouter(): Router {
  const router = Router();
  router.get('/api/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  router.use(
    '/api/docs',
    swaggerUi.serve as unknown as RequestHandler[],
    swaggerUi.setup(undefined, { swaggerOptions: { url: '/api/openapi.json' } }) as unknown as RequestHandler,
  );
  return router;
}
