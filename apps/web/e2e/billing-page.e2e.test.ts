/**
 * The billing page in a real browser (Debian's chromium via playwright-core) against the real API
 * and worker, started as child processes exactly as production starts them, on Postgres and Redis.
 * Saves the screenshots shown in the README (docs/screenshots/).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import type { Page } from 'playwright-core';
import { createRedisConnection } from '@metering/platform';
import { AgentType, ActionType, DEFAULT_OCCURRED_AT_WINDOW, calendarMonthOf, createUsageClient } from '@metering/usage';
import { seedDemoTenant, webBuildReason } from '@metering/dev';
import { counterValue, seedCounter, uniqueQueuePrefix, useTestDatabase } from '@metering/testing';
import { freePort, startNpmScript, stopApp, waitForHttpOk } from './support/app-process';
import type { AppProcess } from './support/app-process';
import { launchChromium } from './support/chromium';
import type { Browser } from './support/chromium';

jest.setTimeout(180_000);

// Browser globals used inside page callbacks (this file compiles without the DOM lib).
declare const window: { localStorage: { setItem(key: string, value: string): void } };
declare const document: { documentElement: { scrollWidth: number } };
declare function getComputedStyle(element: unknown): { backgroundColor: string };

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

it('shows live usage: yellow at 85%, red with overage cost after more events are counted', async () => {
  // The demo seeding is idempotent: a second run reuses the tenant.
  const { tenantId } = await seedDemoTenant(db.current.dataSource);
  expect((await seedDemoTenant(db.current.dataSource)).tenantId).toBe(tenantId);
  const period = calendarMonthOf(new Date());
  await seedCounter(db.current.dataSource, tenantId, AgentType.Inbox, period, 850);
  await seedCounter(db.current.dataSource, tenantId, AgentType.Invoice, period, 50);
  await seedCounter(db.current.dataSource, tenantId, AgentType.Meeting, period, 10);
  const token = jwt.sign({ sub: 'e2e-user', tenant_id: tenantId, roles: ['user'] }, JWT_SECRET, {
    algorithm: 'HS256',
    expiresIn: 600,
  });

  const { context } = browser!;
  await context.addInitScript((value) => window.localStorage.setItem('metering.token', value), token);
  // "Updated 12:00:00 PM" on every run, so the screenshots change only when the page does (timers still run).
  await context.clock.setFixedTime(new Date(`${period.start.toISOString().slice(0, 8)}15T12:00:00Z`));
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
  expect(await page.getByRole('heading', { name: /Demo \(Starter\)/ }).isVisible()).toBe(true);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'billing-page-desktop.png'), fullPage: true });

  // 200 more emails through the producer client -> queue -> worker -> Postgres -> API -> page.
  const redis = createRedisConnection(process.env.REDIS_URL!, 'producer');
  const usage = createUsageClient({ redis, prefix: queuePrefix, window: DEFAULT_OCCURRED_AT_WINDOW });
  try {
    const events = Array.from({ length: 200 }, (_, index) => ({
      tenantId,
      agent: AgentType.Inbox,
      actionType: ActionType.EmailProcessed,
      resourceId: `e2e-email-${index}`,
    }));
    expect((await usage.trackMany(events)).accepted).toBe(200);
  } finally {
    await usage.close();
    await redis.quit();
  }

  await page.locator('li[data-agent="inbox"][data-level="critical"]').waitFor({ timeout: 30_000 });
  expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(1050);
  expect(await inbox.getAttribute('aria-valuetext')).toBe('1,050 of 1,000 emails (105%), limit reached, 50 over the limit');
  expect(await fillColour(page, 'inbox')).toBe(RED);
  const inboxItem = page.locator('li[data-agent="inbox"]');
  expect(await inboxItem.innerText()).toContain('Limit reached');
  expect(await inboxItem.innerText()).toContain('50 over limit · $1.00 overage');
  expect(await page.getByTestId('total-overage').innerText()).toBe('$1.00');
  await page.locator('section[aria-label="Usage alerts"][data-level="error"]').waitFor();
  expect(await banner.innerText()).toContain('Inbox agent is 50 over its monthly limit');

  await page.setViewportSize({ width: 360, height: 800 });
  // Readable at 360 px: nothing wider than the viewport.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'billing-page-360.png'), fullPage: true });
  expect(pageErrors).toEqual([]);
  await page.close();
});
