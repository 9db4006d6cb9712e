import { correctionPaths, correctionSchemas } from './corrections-paths';
import { historyPaths, ingestQuotaBlocked } from './history-paths';
import { historySchemas } from './history-schemas';
import { paths } from './paths';
import { responses } from './responses';
import { schemas } from './schemas';

/** Ingest's 409: a canceled subscription or an idempotency conflict, or the plan's `block` policy. */
const ingest409 = paths['/api/v1/usage/events'].post.responses['409'];
const ingestConflict = {
  ...ingest409,
  description: `${ingest409.description}; or ${ingestQuotaBlocked.description.replace(/^The/, 'the')}`,
  content: {
    'application/problem+json': {
      ...ingest409.content['application/problem+json'],
      examples: {
        ...ingest409.content['application/problem+json'].examples,
        ...ingestQuotaBlocked.content['application/problem+json'].examples,
      },
    },
  },
};

/** The hand-written OpenAPI 3.1 description of every endpoint, served at /api/openapi.json. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Usage metering API',
    version: '1.0.0',
    summary: 'Live usage per tenant and agent, event ingest, health, metrics',
    description:
      'Bearer tokens (JWT, HS256 or RS256) carry `sub`, `tenant_id` (uuid), `roles` and `exp`. Every error is ' +
      '`application/problem+json` (RFC 9457); 400s list each bad field in `errors`. Every response carries X-Request-Id.',
    license: { name: 'MIT', identifier: 'MIT' },
  },
  jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
  servers: [{ url: '/', description: 'This server' }],
  tags: [
    { name: 'usage', description: 'Usage of the current period and event ingest' },
    { name: 'operations', description: 'Health, metrics, documentation, queues' },
    { name: 'development', description: 'Only outside production' },
    { name: 'billing', description: 'Stripe webhooks (signature-authenticated)' },
  ],
  // The events path serves GET (issue 17's drill-down) beside POST (ingest, which may answer 409 under `block`).
  paths: {
    ...paths,
    ...historyPaths,
    ...correctionPaths,
    '/api/v1/usage/events': {
      ...paths['/api/v1/usage/events'],
      post: { ...paths['/api/v1/usage/events'].post, responses: { ...paths['/api/v1/usage/events'].post.responses, '409': ingestConflict } },
      ...historyPaths['/api/v1/usage/events'],
    },
  },
  components: {
    schemas: { ...schemas, ...historySchemas, ...correctionSchemas },
    responses,
    securitySchemes: {
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      operatorBasic: { type: 'http', scheme: 'basic', description: 'OPERATOR_USERNAME / OPERATOR_PASSWORD' },
    },
  },
};
