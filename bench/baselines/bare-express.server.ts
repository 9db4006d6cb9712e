/**
 * Baseline of usage-read: a bare Express route answering a usage-sized JSON document, in its own
 * process, with nothing else (no auth, no database, no middleware). Prints `ready`. Env: PORT.
 */
import express from 'express';

const body = {
  tenant_id: '3f1b2c4d-1111-4222-8333-123456789abc',
  period_start: '2026-11-01T00:00:00.000Z',
  period_end: '2026-12-01T00:00:00.000Z',
  plan: { code: 'starter', name: 'Starter' },
  usage: {
    inbox: { count: 812, limit: 1000, percentage: 81.2, overage: 0, overage_cost_cents: 0 },
    invoice: { count: 230, limit: 200, percentage: 115, overage: 30, overage_cost_cents: 300 },
    meeting: { count: 3, limit: null, percentage: null, overage: 0, overage_cost_cents: 0 },
  },
  total_overage_cost_cents: 300,
  alerts: [
    { agent: 'inbox', level: 'warning', message: 'Inbox agent has used 81% of its monthly limit' },
    { agent: 'invoice', level: 'error', message: 'Invoice agent is 30 over its monthly limit' },
  ],
};

const app = express();
app.get('/json', (_req, res) => {
  res.json(body);
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
