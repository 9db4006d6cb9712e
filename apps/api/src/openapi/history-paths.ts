import { checkExample, eventsCsvExample, eventsPageExample, historyExample, historyProblemExamples, periodsExample } from './history-examples';
import { rateLimitHeaders, requestIdHeader } from './responses';

/** Issue 17's endpoints, merged into `paths`: history, past periods, the events drill-down, the quota check. */
const json = (schemaName: string, example: unknown) => ({
  'application/json': { schema: { $ref: `#/components/schemas/${schemaName}` }, example },
});
const ref = (name: string) => ({ $ref: `#/components/responses/${name}` });
const bearer = [{ bearerAuth: [] }];
const query = (name: string, description: string, schema: object, required = false) => ({ name, in: 'query', required, description, schema });
const agentQuery = (required = false) => query('agent', 'One agent only', { $ref: '#/components/schemas/AgentType' }, required);
const badParameter = {
  description: 'A bad or unknown parameter, named in `errors`',
  headers: requestIdHeader,
  content: {
    'application/problem+json': {
      schema: { $ref: '#/components/schemas/Problem' },
      examples: { badParameter: { value: historyProblemExamples.badParameter } },
    },
  },
};
// Roles: history, periods and events need `user`, `service` or `admin`; the check also takes `agent` (403 otherwise).
const common = { '400': badParameter, '401': ref('Unauthorized'), '403': ref('Forbidden'), '429': ref('RateLimited'), '500': ref('InternalError') };
const ok = (description: string, content: object) => ({ description, headers: { ...requestIdHeader, ...rateLimitHeaders }, content });

export const historyPaths = {
  '/api/v1/usage/history': {
    get: {
      operationId: 'getUsageHistory',
      tags: ['usage'],
      summary: 'Usage per agent and UTC hour or day over a range, from the hourly rollups',
      description:
        'Exact: the rollups are written in the same statement as the counters, so the series over a period sums to its counter ' +
        '(for periods that start on the hour). At most 1,000 windows per answer; more is a 400 saying why. ' +
        'Rate limited per tenant (USAGE_RATE_LIMIT_PER_MINUTE).',
      security: bearer,
      parameters: [
        query('from', 'ISO 8601; rounded down to the window', { type: 'string', format: 'date-time' }, true),
        query('to', 'ISO 8601, exclusive; rounded up to the window', { type: 'string', format: 'date-time' }, true),
        query('window', 'hour or day (default day)', { type: 'string', enum: ['hour', 'day'], default: 'day' }),
        agentQuery(),
      ],
      responses: { '200': ok('Zero-filled series', json('UsageHistoryResponse', historyExample)), ...common },
    },
  },
  '/api/v1/usage/periods': {
    get: {
      operationId: 'listUsagePeriods',
      tags: ['usage'],
      summary: 'Past billing periods, newest first: counts, overage, cost and what was reported to Stripe',
      security: bearer,
      parameters: [
        query('cursor', 'next_cursor of the previous page', { type: 'string' }),
        query('limit', 'Periods per page, 1 to 100 (default 12)', { type: 'integer', minimum: 1, maximum: 100, default: 12 }),
      ],
      responses: { '200': ok('A page of ended periods', json('UsagePeriodsResponse', periodsExample)), ...common },
    },
  },
  '/api/v1/usage/events': {
    get: {
      operationId: 'listUsageEvents',
      tags: ['usage'],
      summary: 'The raw events behind the counts, newest first (keyset pagination), or the whole selection as CSV',
      description:
        'Keyset pagination on (occurred_at, idempotency_key): events inserted while paging never make a row appear twice or go missing. ' +
        'Operators\' corrections are listed among the events as `kind: correction`, with their reason (a void at the voided event\'s time). ' +
        '`format=csv` or `Accept: text/csv` streams every event of the selection (limit and pages do not apply; cursor does), ' +
        'page by page without holding it in memory.',
      security: bearer,
      parameters: [
        agentQuery(),
        query('from', 'occurred_at >= from (ISO 8601)', { type: 'string', format: 'date-time' }),
        query('to', 'occurred_at < to (ISO 8601)', { type: 'string', format: 'date-time' }),
        query('resource_id', 'Events of one resource (email, invoice, meeting)', { type: 'string', maxLength: 255 }),
        query('cursor', 'next_cursor of the previous page', { type: 'string' }),
        query('limit', 'Events per page, 1 to 500 (default 50)', { type: 'integer', minimum: 1, maximum: 500, default: 50 }),
        query('format', 'json (default) or csv', { type: 'string', enum: ['json', 'csv'] }),
      ],
      responses: {
        '200': ok('A page of events, or the CSV', {
          ...json('UsageEventsPage', eventsPageExample),
          'text/csv': { schema: { type: 'string' }, example: eventsCsvExample },
        }),
        ...common,
      },
    },
  },
  '/api/v1/usage/check': {
    get: {
      operationId: 'checkUsage',
      tags: ['usage'],
      summary: 'May this agent do `quantity` more units this period? (the producer client: usageClient.check())',
      description:
        'Answers from a per-process cache at most 1 s old (the counter as committed by the workers). With the plan policy ' +
        '`block`, `allowed` is false once count + quantity passes the limit, and ingest of such events answers 409. ' +
        'Rate limited per tenant (INGEST_RATE_LIMIT_PER_MINUTE).',
      security: bearer,
      parameters: [
        agentQuery(true),
        query('quantity', 'Units about to be done, 1 to 1,000,000 (default 1)', { type: 'integer', minimum: 1, maximum: 1000000, default: 1 }),
      ],
      responses: {
        '200': ok('The decision', json('UsageCheckResponse', checkExample)),
        ...common,
        '404': {
          description: 'The tenant has no subscription',
          headers: requestIdHeader,
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' }, example: { ...historyProblemExamples.quotaBlocked, status: 404, title: 'Not found', type: 'https://usage-metering.dev/problems/not-found', detail: 'Tenant 3f1b2c4d-1111-4222-8333-123456789abc has no subscription', instance: '/api/v1/usage/check' } } },
        },
      },
    },
  },
};

/** The 409 of ingest under the `block` policy, added to POST /api/v1/usage/events. */
export const ingestQuotaBlocked = {
  description: "The plan's `block` policy: these events would take an agent past its limit; nothing was enqueued or counted",
  headers: requestIdHeader,
  content: {
    'application/problem+json': {
      schema: { $ref: '#/components/schemas/Problem' },
      examples: { quotaBlocked: { value: historyProblemExamples.quotaBlocked } },
    },
  },
};
