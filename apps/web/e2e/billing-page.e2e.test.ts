/**
 * The billing page in a real browser (Debian's chromium via playwright-core) against the real API
 * and worker, started as child processes exactly as production starts them, on Postgres and Redis.
 * Saves the screenshots shown in the README (docs/screenshots/).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import type { Page } from 'playwright-core';
import { createLogger, createRedisConnection } from '@metering/platform';
import { AgentType, ActionType, DEFAULT_OCCURRED_AT_WINDOW, UsageTracker, addMonthsAnchored, createUsageClient } from '@metering/usage';
import type { BillingPeriod, TrackEventInput } from '@metering/usage';
import { seedDemoTenant, webBuildReason } from '@metering/dev';
import { counterValue, recordUsage, seedCounter, uniqueQueuePrefix, useTestDatabase } from '@metering/testing';
import { freePort, startNpmScript, stopApp, waitForHttpOk } from './support/app-process';
import type { AppProcess } from './support/app-process';
import { launchChromium } from './support/chromium';
import type { Browser } from './support/chromium';

jest.setTimeout(180_000);

// Browser globals used inside page callbacks (this file compiles without the DOM lib).
declare const window: { localStorage: { setItem(key: string, value: string): void } };
declare const document: { documentElement: { scrollWidth: number } };
declare function getComputedStyle(element: unknown): { backgroundColor: string };
interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  nodes: Array<{ target: string[] }>;
}
declare const axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> };

const ROOT = path.resolve(__dirname, '../../..');
const SCREENSHOTS = path.join(ROOT, 'docs', 'screenshots');
const JWT_SECRET = `e2e-${'s'.repeat(40)}`;
// Computed colours of the bar fill (apps/web/src/styles/base.css tokens).
const YELLOW = 'rgb(217, 119, 6)';
const RED = 'rgb(220, 38, 38)';
const GREEN = 'rgb(22, 163, 74)';

const db = useTestDatabase();
const queuePrefix = uniqueQueuePrefix();
let api: AppProcess | undefined;
let worker: AppProcess | undefined;
let browser: Browser | undefined;
let baseUrl = '';

const DAY_MS = 86_400_000;

/**
 * Moves the demo subscription's period to have started 14 days ago (00:00 UTC), so the chart has
 * two weeks of history and two of forecast whatever the date; returns it with the one before.
 */
async function periodStartedTwoWeeksAgo(tenantId: string): Promise<{ current: BillingPeriod; previous: BillingPeriod }> {
  const start = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - 14 * DAY_MS);
  const anchorDay = start.getUTCDate();
  const current = { start, end: addMonthsAnchored(start, 1, anchorDay) };
  const previous = { start: addMonthsAnchored(start, -1, anchorDay), end: start };
  await db.current.dataSource.query(
    `UPDATE subscriptions SET current_period_start = $2, current_period_end = $3, billing_anchor_day = $4 WHERE tenant_id = $1`,
    [tenantId, current.start, current.end, anchorDay],
  );
  return { current, previous };
}

/**
 * Real events through the tracker (so the hourly rollups the chart reads exist), spread over the
 * period so far with a quiet first day: `total` of `agent`, weighted towards recent days.
 */
function eventsOver(tenantId: string, agent: AgentType, actionType: ActionType, total: number, period: BillingPeriod): TrackEventInput[] {
  const now = Date.now();
  const firstDay = period.start.getTime() + DAY_MS;
  return Array.from({ length: total }, (_, index) => ({
    tenantId,
    agent,
    actionType,
    resourceId: `${agent}-${index}`,
    idempotencyKey: `${agent}-seed-${index}`,
    // sqrt spreads more events towards the recent days; all lie between day 2 and a minute ago.
    occurredAt: new Date(firstDay + Math.sqrt((index + 0.5) / total) * (now - 60_000 - firstDay)),
  }));
}

/** axe-core in the page, WCAG 2.1 A and AA rules; the violations, in a form a failure message can show. */
async function accessibilityViolations(page: Page): Promise<string[]> {
  // Evaluated over the DevTools protocol: the page's CSP (script-src 'self') stays in force for the page itself.
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const { violations } = await page.evaluate(() =>
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** The bar's fill colour (the browser runs with reduced motion, so colours do not animate). */
async function fillColour(page: Page, agent: string): Promise<string> {
  return page.locator(`li[data-agent="${agent}"] .usage-bar__fill`).evaluate((el) => getComputedStyle(el).backgroundColor);
}

beforeAll(async () => {
  if (webBuildReason(path.join(ROOT, 'apps', 'web'))) {
    const build = spawnSync('npm', ['run', '-s', 'build:web'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build:web failed:\n${build.stdout}\n${build.stderr}`);
  }
  const [apiPort, workerPort] = [await freePort(), await freePort()];
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.current.url,
    QUEUE_PREFIX: queuePrefix,
    JWT_SECRET,
    API_PORT: String(apiPort),
    // Any free port: two API processes of parallel test files must not meet on the default.
    API_METRICS_PORT: '0',
    WORKER_METRICS_PORT: String(workerPort),
    // The page polls every second here (?refetch=1000); the 10/min production default would 429.
    USAGE_RATE_LIMIT_PER_MINUTE: '600',
  };
  api = startNpmScript('api', 'start:api', ROOT, env);
  worker = startNpmScript('worker', 'start:worker', ROOT, env);
  baseUrl = `http://127.0.0.1:${apiPort}`;
  await Promise.all([
    waitForHttpOk(api, `${baseUrl}/health/ready`),
    waitForHttpOk(worker, `http://127.0.0.1:${workerPort}/health/ready`),
  ]);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([stopApp(api), stopApp(worker)]);
});

it('shows live usage, the daily chart with limit and forecast, past periods and the events drill-down; accessible at 1280 and 360 px', async () => {
  // The demo seeding is idempotent: a second run reuses the tenant.
  const { tenantId } = await seedDemoTenant(db.current.dataSource);
  expect((await seedDemoTenant(db.current.dataSource)).tenantId).toBe(tenantId);
  const { current: period, previous } = await periodStartedTwoWeeksAgo(tenantId);
  const tracker = new UsageTracker(db.current.dataSource, { logger: createLogger({ level: 'silent', json: true, service: 'e2e' }) });
  await recordUsage(tracker, eventsOver(tenantId, AgentType.Inbox, ActionType.EmailProcessed, 850, period));
  await recordUsage(tracker, eventsOver(tenantId, AgentType.Invoice, ActionType.InvoiceDetected, 50, period));
  await recordUsage(tracker, eventsOver(tenantId, AgentType.Meeting, ActionType.MeetingPrep, 10, period));
  // A past period 40 emails over, reported to Stripe.
  await seedCounter(db.current.dataSource, tenantId, AgentType.Inbox, previous, 1040);
  await seedCounter(db.current.dataSource, tenantId, AgentType.Invoice, previous, 120);
  await db.current.dataSource.query(
    `INSERT INTO stripe_usage_reports (tenant_id, agent, period_start, period_end, cumulative_quantity, delta, identifier, event_timestamp, status, sent_at)
     VALUES ($1, 'inbox', $2, $3, 40, 40, $4, $3, 'sent', now()) ON CONFLICT (identifier) DO NOTHING`,
    [tenantId, previous.start, previous.end, `e2e-${tenantId}-${previous.start.getTime()}`],
  );
  const token = jwt.sign({ sub: 'e2e-user', tenant_id: tenantId, roles: ['user'] }, JWT_SECRET, {
    algorithm: 'HS256',
    expiresIn: 600,
  });

  const { context } = browser!;
  await context.addInitScript((value) => window.localStorage.setItem('metering.token', value), token);
  // The page's clock is the server's (the chart's "today" must match the forecast); timers still run.
  await context.clock.setFixedTime(new Date());
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  await page.goto(`${baseUrl}/settings/billing?refetch=1000`);

  await page.getByRole('progressbar').nth(2).waitFor();
  expect(await page.getByRole('progressbar').count()).toBe(3);
  const inbox = page.getByRole('progressbar', { name: 'Emails processed' });
  expect(await inbox.getAttribute('aria-valuenow')).toBe('850');
  expect(await inbox.getAttribute('aria-valuemax')).toBe('1000');
  expect(await page.getByRole('progressbar', { name: 'Invoices detected' }).getAttribute('aria-valuenow')).toBe('50');
  expect(await page.getByRole('progressbar', { name: 'Meetings prepared' }).getAttribute('aria-valuenow')).toBe('10');
  expect(await page.locator('li[data-agent="inbox"] .usage-bar__header').innerText()).toMatch(/Emails processed\s+850 \/ 1,000\s+85%/);
  expect(await page.locator('li[data-agent="invoice"] .usage-bar__header').innerText()).toMatch(/50 \/ 200\s+25%/);
  expect(await page.locator('li[data-agent="meeting"] .usage-bar__header').innerText()).toMatch(/10 \/ 50\s+20%/);
  expect(await fillColour(page, 'inbox')).toBe(YELLOW);
  expect(await fillColour(page, 'invoice')).toBe(GREEN);
  const banner = page.getByRole('region', { name: 'Usage alerts' });
  expect(await banner.getAttribute('data-level')).toBe('warning');
  expect(await banner.innerText()).toContain('Inbox agent has used 85% of its monthly limit');
  // 850 in two weeks is ~60 a day: the forecast crosses 1,000 within the period and says when.
  expect(await banner.innerText()).toMatch(/Inbox agent reaches its monthly limit on [A-Z][a-z]{2} \d{1,2} at the current rate/);
  expect(await page.getByRole('heading', { name: /Demo \(Starter\)/ }).isVisible()).toBe(true);

  // The chart: an SVG drawn by Recharts with the limit line, described in words, the numbers as a table.
  const chart = page.getByRole('figure', { name: /Emails processed this period: 850 emails so far, a limit of 1,000, forecast [\d,]+ by/ });
  await chart.waitFor();
  expect(await chart.locator('svg .recharts-reference-line').count()).toBe(1);
  expect(await chart.locator('svg .recharts-area').count()).toBe(1);
  expect(await chart.innerText()).toContain('Limit 1,000');
  await page.getByText('Show daily numbers as a table').click();
  const dayRows = page.getByRole('table', { name: 'Emails processed per day' }).getByRole('row');
  expect(await dayRows.count()).toBe(1 + Math.round((period.end.getTime() - period.start.getTime()) / DAY_MS));
  await page.getByText('Show daily numbers as a table').click();

  // Past periods: the previous period, its overage cost and that Stripe was told.
  const periods = page.getByRole('table', { name: 'Past billing periods, newest first' });
  await periods.waitFor();
  expect(await periods.getByRole('row').nth(1).innerText()).toMatch(/1,040 \/ 1,000[\s\S]*\$0\.80[\s\S]*Billed/);

  // The drill-down: the latest emails behind the count, and the CSV of all 850.
  await page.getByRole('button', { name: 'View events of emails processed' }).click();
  const events = page.getByRole('table', { name: 'Latest emails this period' });
  await events.waitFor();
  expect(await events.getByRole('row').count()).toBe(21);
  expect(await events.getByRole('row').nth(1).innerText()).toMatch(/inbox-849\s+email processed/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /Download CSV of emails processed/ }).click()]);
  const csv = readFileSync((await download.path())!, 'utf8').trimEnd().split('\r\n');
  expect(csv[0]).toBe('occurred_at,agent,action_type,resource_id,quantity,idempotency_key,kind,correction_reason');
  expect(csv).toHaveLength(851);

  expect(await accessibilityViolations(page)).toEqual([]);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'billing-page-desktop.png'), fullPage: true });

  // 200 more emails through the producer client -> queue -> worker -> Postgres -> API -> page.
  const redis = createRedisConnection(process.env.REDIS_URL!, 'producer');
  const usage = createUsageClient({ redis, prefix: queuePrefix, window: DEFAULT_OCCURRED_AT_WINDOW });
  try {
    const more = Array.from({ length: 200 }, (_, index) => ({
      tenantId,
      agent: AgentType.Inbox,
      actionType: ActionType.EmailProcessed,
      resourceId: `e2e-email-${index}`,
    }));
    expect((await usage.trackMany(more)).accepted).toBe(200);
  } finally {
    await usage.close();
    await redis.quit();
  }

  await page.locator('li[data-agent="inbox"][data-level="critical"]').waitFor({ timeout: 30_000 });
  expect(await counterValue(db.current.dataSource, tenantId, 'inbox', period.start)).toBe(1050);
  expect(await inbox.getAttribute('aria-valuetext')).toBe('1,050 of 1,000 emails (105%), limit reached, 50 over the limit');
  expect(await fillColour(page, 'inbox')).toBe(RED);
  const inboxItem = page.locator('li[data-agent="inbox"]');
  expect(await inboxItem.innerText()).toContain('Limit reached');
  expect(await inboxItem.innerText()).toContain('50 over limit · $1.00 overage');
  expect(await page.getByTestId('total-overage').innerText()).toBe('$1.00');
  await page.locator('section[aria-label="Usage alerts"][data-level="error"]').waitFor();
  expect(await banner.innerText()).toContain('Inbox agent is 50 over its monthly limit');

  await page.setViewportSize({ width: 360, height: 800 });
  // Readable at 360 px: nothing wider than the viewport, once the chart has followed the resize
  // (Recharts measures its container through a ResizeObserver, a frame or two after the change).
  await page.waitForFunction(() => document.documentElement.scrollWidth <= 360, undefined, { timeout: 5_000 }).catch(() => undefined);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  expect(await accessibilityViolations(page)).toEqual([]);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'billing-page-360.png'), fullPage: true });
  expect(pageErrors).toEqual([]);
  await page.close();
});
