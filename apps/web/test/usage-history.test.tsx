import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UsageHistoryPoint, UsagePeriod } from '@metering/contract';
import { chartDays } from '../src/components/history/chart-series';
import { periodStripeStatus } from '../src/components/history/PastPeriods';
import { UsageBar } from '../src/components/usage/UsageBar';
import { BillingPage } from '../src/pages/Settings/Billing';
import { stubFetch } from './fetch-stub';
import { renderWithClient } from './render-app';
import { NOVEMBER, agentUsage, usageStats } from './usage-fixtures';

const USAGE = '/api/v1/usage';
const HISTORY = '/api/v1/usage/history';
const PERIODS = '/api/v1/usage/periods';
const EVENTS = '/api/v1/usage/events';
const NOW = new Date('2026-11-15T12:00:00Z');

function days(counts: number[]): UsageHistoryPoint[] {
  return Array.from({ length: 30 }, (_, i) => ({ start: new Date(Date.UTC(2026, 10, 1 + i)).toISOString(), count: counts[i] ?? 0 }));
}

const history = (counts: number[]) => ({ tenant_id: 't', window: 'day', from: NOVEMBER.start, to: NOVEMBER.end, series: { inbox: days(counts), invoice: days([]), meeting: days([]) } });

function period(start: string, end: string, inbox: number, status: 'none' | 'sent' | 'pending' | 'failed'): UsagePeriod {
  const overage = Math.max(0, inbox - 1000);
  const item = (count: number, limit: number | null, over = 0, stripe: UsagePeriod['usage']['inbox']['stripe']['status'] = 'none') => ({
    count, limit, overage: over, overage_cost_cents: over * 2,
    stripe: { status: stripe, sent_quantity: stripe === 'sent' ? over : 0, pending_quantity: stripe === 'pending' ? over : 0, failed_quantity: stripe === 'failed' ? over : 0 },
  });
  return { period_start: start, period_end: end, usage: { inbox: item(inbox, 1000, overage, status), invoice: item(10, 200), meeting: item(1, null) }, total_overage_cost_cents: overage * 2 };
}

beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: true, toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

describe('the bar follows the counts, as the API does', () => {
  it('1,999 of 2,000 is a yellow warning at 99.9%, never "Limit reached"; 2,000 of 2,000 is red', () => {
    const { container, rerender } = renderWithClient(
      <ul>
        <UsageBar agent="inbox" usage={agentUsage(1999, 2000)} />
      </ul>,
    );
    const item = container.querySelector('li')!;
    expect(agentUsage(1999, 2000).percentage).toBe(100);
    expect(item).toHaveAttribute('data-level', 'warning');
    expect(within(item).getByText('99.9%')).toBeInTheDocument();
    expect(within(item).getByText('Approaching limit')).toBeInTheDocument();
    expect(within(item).queryByText('Limit reached')).toBeNull();
    expect(within(item).getByRole('progressbar')).toHaveAttribute('aria-valuetext', '1,999 of 2,000 emails (99.9%), approaching limit');
    rerender(
      <ul>
        <UsageBar agent="inbox" usage={agentUsage(2000, 2000)} />
      </ul>,
    );
    expect(container.querySelector('li')).toHaveAttribute('data-level', 'critical');
    expect(within(container.querySelector('li')!).getByText('Limit reached')).toBeInTheDocument();
  });

  it('the page at 1,999 of 2,000: the bar and the banner both say warning', async () => {
    const stats = usageStats({}, {});
    stats.usage.inbox = agentUsage(1999, 2000);
    stats.alerts = [{ agent: 'inbox', level: 'warning', message: 'Inbox agent has used 99% of its monthly limit' }];
    const fetch = stubFetch();
    fetch.respond(USAGE, { body: stats });
    fetch.respond(HISTORY, { body: history([]) });
    fetch.respond(PERIODS, { body: { data: [], next_cursor: null } });
    renderWithClient(<BillingPage />);
    const banner = await screen.findByRole('region', { name: 'Usage alerts' });
    expect(banner).toHaveAttribute('data-level', 'warning');
    expect(document.querySelector('li[data-agent="inbox"]')).toHaveAttribute('data-level', 'warning');
  });
});

describe('chartDays', () => {
  it('accumulates up to today and draws the forecast from today to projected_count at period end', () => {
    const usage = { ...agentUsage(300, 1000), projected_count: 900 };
    const result = chartDays(days([100, 0, 50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 150]), usage, NOW.getTime());
    expect(result[0]).toMatchObject({ actual: 100, forecast: null });
    expect(result[14]).toMatchObject({ daily: 150, actual: 300, forecast: 300 });
    expect(result[15]).toMatchObject({ daily: null, actual: null });
    expect(result[29]!.forecast).toBe(900);
    expect(result[22]!.forecast).toBe(Math.round(300 + (600 * 8) / 15));
  });
});

describe('Daily usage, past periods and the events drill-down', () => {
  function page(overrides: { history?: object; periods?: object[]; events?: object[] } = {}) {
    const fetch = stubFetch();
    const stats = usageStats({ inbox: 300 });
    stats.usage.inbox = { ...stats.usage.inbox, projected_count: 900, projected_limit_date: null };
    fetch.respond(USAGE, { body: stats });
    fetch.respond(HISTORY, ...((overrides.history ? [overrides.history] : [{ body: history([100, 0, 50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 150]) }]) as object[]));
    fetch.respond(PERIODS, ...((overrides.periods ?? [{ body: { data: [], next_cursor: null } }]) as object[]));
    fetch.respond(EVENTS, ...((overrides.events ?? [{ body: { data: [], next_cursor: null } }]) as object[]));
    renderWithClient(<BillingPage />);
    return fetch;
  }

  it('describes the chart in words and offers the same numbers as a table', async () => {
    const fetch = page();
    const caption = await screen.findByText(/Emails processed this period: 300 emails so far, a limit of 1,000, forecast 900 by Nov 30/);
    expect(caption.tagName).toBe('FIGCAPTION');
    expect(screen.getByRole('figure', { name: /Emails processed this period/ })).toBeInTheDocument();
    const table = screen.getByRole('table', { name: 'Emails processed per day' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(31);
    expect(within(rows[15]!).getAllByRole('cell').map((cell) => cell.textContent)).toEqual(['150', '300', '300']);
    expect(within(rows[30]!).getAllByRole('cell').map((cell) => cell.textContent)).toEqual(['–', '–', '900']);
    const request = fetch.requests.find((r) => r.path.startsWith(HISTORY))!;
    expect(request.path).toBe(`${HISTORY}?from=${encodeURIComponent(NOVEMBER.start)}&to=${encodeURIComponent(NOVEMBER.end)}&window=day`);
  });

  it('shows an empty state for a new tenant', async () => {
    page({ history: { body: history([]) } });
    expect(await screen.findByText('No emails recorded yet this period.')).toBeInTheDocument();
    expect(await screen.findByText('No past periods yet: your first period is still running.')).toBeInTheDocument();
  });

  it('shows loading while history is on its way', async () => {
    page({ history: { pending: true } });
    expect(await screen.findByText('Loading the usage history…')).toHaveAttribute('role', 'status');
  });

  it('explains a failed history load and retries it', async () => {
    const fetch = page({ history: { status: 500, body: { title: 'Internal server error' } } });
    const problem = await screen.findByText(/We could not load the usage history/);
    expect(problem.closest('[role="alert"]')).toHaveTextContent('The billing service had a problem');
    fetch.respond(HISTORY, { body: history([5]) });
    await userEvent.click(within(problem.closest('[role="alert"]') as HTMLElement).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('table', { name: 'Emails processed per day' })).toBeInTheDocument();
  });

  it('says when to try again after a 429', async () => {
    page({ periods: [{ status: 429, body: { title: 'Too many requests' }, headers: { 'Retry-After': '42' } }] });
    const problem = await screen.findByText(/We could not load past periods/);
    expect(problem.closest('[role="alert"]')).toHaveTextContent('Too many requests right now. Try again in about 42 seconds.');
  });

  it('lists past periods with totals, overage cost and their Stripe status, and loads older ones', async () => {
    page({
      periods: [
        { body: { data: [period('2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z', 1040, 'sent')], next_cursor: 'older' } },
        { body: { data: [period('2026-09-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z', 1100, 'failed')], next_cursor: null } },
      ],
    });
    const table = await screen.findByRole('table', { name: 'Past billing periods, newest first' });
    expect(within(table).getAllByRole('row')[1]).toHaveTextContent(/Oct 1 – Oct 31, 2026.*1,040 \/ 1,000.*\$0\.80.*Billed/);
    await userEvent.click(screen.getByRole('button', { name: 'Show older periods' }));
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(3));
    expect(within(table).getAllByRole('row')[2]).toHaveTextContent(/Sep 1 – Sep 30, 2026.*\$2\.00.*Failed/);
  });

  it('"View events" lists the latest events of the chosen agent, with more on request', async () => {
    const event = (key: string) => ({ agent: 'invoice', action_type: 'invoice_detected', resource_id: `inv-${key}`, quantity: 1, idempotency_key: key, occurred_at: '2026-11-14T09:30:00.000Z', metadata: {}, kind: 'event', correction: null });
    const fetch = page({ events: [{ body: { data: [event('a'), event('b')], next_cursor: 'next' } }, { body: { data: [event('c')], next_cursor: null } }] });
    await screen.findByRole('table', { name: 'Emails processed per day' });
    await userEvent.click(screen.getByRole('button', { name: 'Invoices detected' }));
    expect(screen.getByRole('button', { name: 'Invoices detected' })).toHaveAttribute('aria-pressed', 'true');
    await userEvent.click(screen.getByRole('button', { name: 'View events of invoices detected' }));
    const table = await screen.findByRole('table', { name: 'Latest invoices this period' });
    expect(within(table).getAllByRole('row')[1]).toHaveTextContent(/inv-a.*invoice detected.*Nov 14, 09:30.*1/);
    await userEvent.click(screen.getByRole('button', { name: 'Show more' }));
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(4));
    const requests = fetch.requests.filter((r) => r.path.startsWith(EVENTS)).map((r) => r.path);
    expect(requests[0]).toContain('agent=invoice');
    expect(requests[1]).toContain('cursor=next');
  });

  it('marks corrections in the drill-down with their reason and signed quantity', async () => {
    const events = [
      { agent: 'invoice', action_type: 'correction', resource_id: 'inv-7', quantity: -3, idempotency_key: 'inv-7', occurred_at: '2026-11-14T10:00:00.000Z', metadata: {}, kind: 'correction', correction: { type: 'void', reason: 'sent twice by the invoice agent', voided_idempotency_key: 'inv-7' } },
      { agent: 'invoice', action_type: 'invoice_detected', resource_id: 'inv-7', quantity: 3, idempotency_key: 'inv-7', occurred_at: '2026-11-14T10:00:00.000Z', metadata: {}, kind: 'event', correction: null },
      { agent: 'invoice', action_type: 'correction', resource_id: '', quantity: 5, idempotency_key: 'ticket-1', occurred_at: '2026-11-13T08:00:00.000Z', metadata: {}, kind: 'correction', correction: { type: 'adjustment', reason: 'ticket 1: missed batch', voided_idempotency_key: null } },
    ];
    page({ events: [{ body: { data: events, next_cursor: null } }] });
    await screen.findByRole('table', { name: 'Emails processed per day' });
    await userEvent.click(screen.getByRole('button', { name: 'Invoices detected' }));
    await userEvent.click(screen.getByRole('button', { name: 'View events of invoices detected' }));
    const table = await screen.findByRole('table', { name: 'Latest invoices this period' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(4);
    expect(rows[1]).toHaveTextContent(/inv-7.*Voided sent twice by the invoice agent.*Nov 14, 10:00.*\u22123/);
    expect(rows[1]).toHaveClass('events-table__correction');
    expect(rows[2]).toHaveTextContent(/inv-7.*invoice detected.*3/);
    expect(rows[2]).not.toHaveClass('events-table__correction');
    expect(rows[3]).toHaveTextContent(/—.*Adjusted ticket 1: missed batch.*\+5/);
  });

  it('a period is as bad as its worst agent', () => {
    const p = period('2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z', 1040, 'sent');
    expect(periodStripeStatus(p)).toBe('sent');
    p.usage.invoice.stripe.status = 'pending';
    expect(periodStripeStatus(p)).toBe('pending');
  });
});
