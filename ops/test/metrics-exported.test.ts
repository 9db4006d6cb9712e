/**
 * Every metric the alert rules and the Grafana dashboard query must be exported by the running
 * API or worker, so renaming a metric breaks the build instead of silently emptying a panel or
 * disarming an alert. The apps run as child processes exactly as production starts them
 * (`npm run start:api` / `start:worker`), each with its own registry.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppProcess, freePort, uniqueQueuePrefix, useTestDatabase } from '@metering/testing';
import {
  PROMETHEUS_SYNTHETIC,
  dashboardExpressions,
  exportedMetricTypes,
  isExported,
  metricNames,
  ruleExpressions,
} from './promql-metric-names';

const OPS = path.resolve(__dirname, '..');
const ALERTS_FILE = path.join(OPS, 'prometheus/alerts.yml');
const DASHBOARD_FILE = path.join(OPS, 'grafana/usage-dashboard.json');

const alertExpressions = ruleExpressions(readFileSync(ALERTS_FILE, 'utf8'));
const panelExpressions = dashboardExpressions(DASHBOARD_FILE);
const queried = [...new Set([...alertExpressions, ...panelExpressions].flatMap(metricNames))]
  .filter((name) => !PROMETHEUS_SYNTHETIC.has(name))
  .sort();

describe('queries in alerts.yml and the dashboard', () => {
  it('reads every alert rule and every panel query', () => {
    const ruleCount = (readFileSync(ALERTS_FILE, 'utf8').match(/^\s*- alert:/gm) ?? []).length;
    expect(alertExpressions).toHaveLength(ruleCount);
    expect(panelExpressions.length).toBeGreaterThanOrEqual(15);
    expect(
      metricNames('histogram_quantile(0.99, sum by (le) (rate(usage_api_latency_seconds_bucket{status="429"}[$__rate_interval]))) > 0.5'),
    ).toEqual(['usage_api_latency_seconds_bucket']);
    expect(metricNames('time() - max(reconciliation_last_success_timestamp_seconds > 0) > 26 * 3600')).toEqual([
      'reconciliation_last_success_timestamp_seconds',
    ]);
  });

  it('are valid PromQL (promtool check rules)', () => {
    // Grafana variables become fixed durations; each query becomes a recording rule to check.
    const rules = panelExpressions
      .map((expr, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(expr.replace(/\$__(rate_interval|interval|range)/g, '5m'))}`)
      .join('\n');
    const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-rules-'));
    try {
      const file = path.join(dir, 'dashboard.rules.yml');
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
      const result = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      expect(result.error).toBeUndefined();
      expect(`${result.stdout}${result.stderr}`).toContain(`SUCCESS: ${panelExpressions.length} rules found`);
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('metrics exported by the running api and worker', () => {
  const db = useTestDatabase(2);

  describe('with both apps started as in production', () => {
    let api: AppProcess | undefined;
    let worker: AppProcess | undefined;
    let apiUrl = '';
    let apiMetricsUrl = '';
    let workerUrl = '';

    beforeAll(async () => {
      const [apiPort, apiMetricsPort, workerPort] = [await freePort(), await freePort(), await freePort()];
      apiUrl = `http://127.0.0.1:${apiPort}`;
      apiMetricsUrl = `http://127.0.0.1:${apiMetricsPort}`;
      workerUrl = `http://127.0.0.1:${workerPort}`;
      const env = {
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DEMO: 'false',
        DATABASE_URL: db.current.url,
        DATABASE_POOL_SIZE: '2',
        QUEUE_PREFIX: uniqueQueuePrefix(),
        API_PORT: String(apiPort),
        API_METRICS_PORT: String(apiMetricsPort),
        WORKER_METRICS_PORT: String(workerPort),
        WORKER_CONCURRENCY: '4',
      };
      [api, worker] = await Promise.all([
        new AppProcess('api', { env, readyUrl: `${apiUrl}/health/ready`, readyTimeoutMs: 60_000 }).start(),
        new AppProcess('worker', { env, readyUrl: `${workerUrl}/health`, readyTimeoutMs: 60_000 }).start(),
      ]);
    }, 90_000);

    afterAll(async () => {
      await Promise.all([api?.stop(), worker?.stop()]);
    }, 60_000);

    async function scrape(url: string): Promise<string> {
      const response = await fetch(`${url}/metrics`);
      expect(response.status).toBe(200);
      return response.text();
    }

    it('exports every metric the alert rules and the dashboard query', async () => {
      const [apiMetrics, workerMetrics] = await Promise.all([scrape(apiMetricsUrl), scrape(workerUrl)]);
      // The API's public port does not serve them (its metrics port is never published).
      expect((await fetch(`${apiUrl}/metrics`)).status).toBe(404);
      const types = new Map([...exportedMetricTypes(apiMetrics), ...exportedMetricTypes(workerMetrics)]);
      const missing = queried.filter((name) => !isExported(name, types));
      expect(missing).toEqual([]);
      // The check above means something only if the scrape really listed the apps' metrics.
      expect(types.get('http_request_duration_seconds')).toBe('histogram');
      expect(types.get('bullmq_queue_jobs')).toBe('gauge');
    });

    it('reports the last successful full reconciliation recorded in Postgres', async () => {
      await db.current.dataSource.query(
        `INSERT INTO reconciliation_runs (started_at, finished_at, status, dry_run, tenant_id) VALUES
           ('2026-11-28T03:00:00Z', '2026-11-28T03:00:05Z', 'succeeded', false, NULL),
           ('2026-11-29T03:00:00Z', '2026-11-29T03:00:09Z', 'failed',    false, NULL),
           ('2026-11-29T04:00:00Z', '2026-11-29T04:00:02Z', 'succeeded', true,  NULL)`,
      );
      const workerMetrics = await scrape(workerUrl);
      const sample = /^reconciliation_last_success_timestamp_seconds (\S+)$/m.exec(workerMetrics);
      expect(Number(sample?.[1])).toBe(Date.parse('2026-11-28T03:00:05Z') / 1000);
    });
  });
});
