import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { UsageWidget } from '../src/components/usage/UsageWidget';
import { stubFetch } from './fetch-stub';
import { renderWithClient, TEST_TOKEN } from './render-app';
import { DECEMBER, usageStats } from './usage-fixtures';

const USAGE = '/api/v1/usage';

async function barsShown() {
  return screen.findAllByRole('progressbar');
}

describe('UsageWidget', () => {
  it('shows a loading skeleton until usage arrives', async () => {
    const api = stubFetch();
    api.respond(USAGE, { pending: true });
    renderWithClient(<UsageWidget />);
    expect(await screen.findByText('Loading usage…')).toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).toBeNull();
  });

  it('reads usage with the bearer token and shows a bar per limited agent and the period overage', async () => {
    const api = stubFetch();
    api.respond(USAGE, { body: usageStats({ inbox: 812, invoice: 230, meeting: 3 }) });
    renderWithClient(<UsageWidget />);

    const bars = await barsShown();
    expect(bars).toHaveLength(2);
    expect(screen.getByRole('progressbar', { name: 'Emails processed' })).toHaveAttribute('aria-valuenow', '812');
    expect(screen.getByRole('progressbar', { name: 'Invoices detected' })).toHaveAttribute('aria-valuenow', '200');
    const meeting = document.querySelector('[data-agent="meeting"]') as HTMLElement;
    expect(within(meeting).getByText('Unlimited on your plan')).toBeInTheDocument();
    expect(screen.getByText('30 over limit · $3.00 overage')).toBeInTheDocument();
    expect(screen.getByTestId('total-overage')).toHaveTextContent('$3.00');
    expect(api.requests[0]).toEqual({ path: USAGE, method: 'GET', authorization: `Bearer ${TEST_TOKEN}` });
  });

  it('shows an error with a retry button, and the usage once the retry succeeds', async () => {
    const api = stubFetch();
    api.respond(USAGE, { status: 500, body: { title: 'Internal Server Error', status: 500 } }, { body: usageStats({ inbox: 400 }) });
    renderWithClient(<UsageWidget />);

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('We could not load your usage');
    await userEvent.click(within(alert).getByRole('button', { name: 'Retry' }));

    expect(await screen.findByRole('progressbar', { name: 'Emails processed' })).toHaveAttribute('aria-valuenow', '400');
    expect(screen.queryByText('We could not load your usage')).toBeNull();
    expect(api.requests.filter((request) => request.path === USAGE)).toHaveLength(2);
  });

  it('keeps the last usage on screen with a friendly message when the API answers 429', async () => {
    const api = stubFetch();
    api.respond(
      USAGE,
      { body: usageStats({ inbox: 500 }) },
      { status: 429, body: { title: 'Too Many Requests', status: 429 }, headers: { 'Retry-After': '20' } },
    );
    renderWithClient(<UsageWidget />);
    await barsShown();

    await userEvent.click(screen.getByRole('button', { name: 'Refresh' }));

    const notice = (await screen.findByText(/Usage is being refreshed too often/)).closest('p');
    expect(notice).toHaveAttribute('role', 'status');
    expect(notice).toHaveTextContent("We'll update it again automatically in about 20 seconds.");
    expect(screen.getByRole('progressbar', { name: 'Emails processed' })).toHaveAttribute('aria-valuenow', '500');
    expect(screen.queryByText('We could not load your usage')).toBeNull();
  });

  it('refetches when the window regains focus', async () => {
    const api = stubFetch();
    api.respond(USAGE, { body: usageStats({ inbox: 100 }) }, { body: usageStats({ inbox: 150 }) });
    renderWithClient(<UsageWidget />);
    await barsShown();

    act(() => {
      window.dispatchEvent(new Event('visibilitychange'));
    });

    await waitFor(() =>
      expect(screen.getByRole('progressbar', { name: 'Emails processed' })).toHaveAttribute('aria-valuenow', '150'),
    );
  });
});

describe('UsageWidget alert banner', () => {
  it('shows a yellow banner built from the warning alerts', async () => {
    stubFetch().respond(USAGE, { body: usageStats({ inbox: 850 }) });
    renderWithClient(<UsageWidget />);

    const banner = await screen.findByRole('region', { name: 'Usage alerts' });
    expect(banner).toHaveAttribute('data-level', 'warning');
    expect(banner).toHaveClass('alert-banner--warning');
    expect(within(banner).getByText('Inbox agent has used 85% of its monthly limit')).toBeInTheDocument();
  });

  it('shows no banner while every agent is under 80%', async () => {
    stubFetch().respond(USAGE, { body: usageStats({ inbox: 799 }) });
    renderWithClient(<UsageWidget />);
    await barsShown();
    expect(screen.queryByRole('region', { name: 'Usage alerts' })).toBeNull();
  });

  it('hides the banner when dismissed, and keeps it hidden after a reload in the same period', async () => {
    stubFetch().respond(USAGE, { body: usageStats({ inbox: 850 }) });
    const first = renderWithClient(<UsageWidget />);
    const banner = await screen.findByRole('region', { name: 'Usage alerts' });

    await userEvent.click(within(banner).getByRole('button', { name: 'Dismiss usage alerts' }));
    expect(screen.queryByRole('region', { name: 'Usage alerts' })).toBeNull();
    expect(screen.getByRole('heading', { name: 'Usage this period' })).toHaveFocus();

    first.unmount();
    renderWithClient(<UsageWidget />);
    await barsShown();
    expect(screen.queryByRole('region', { name: 'Usage alerts' })).toBeNull();
  });

  it('can be dismissed from the keyboard alone', async () => {
    stubFetch().respond(USAGE, { body: usageStats({ inbox: 850 }) });
    renderWithClient(<UsageWidget />);
    const dismiss = await screen.findByRole('button', { name: 'Dismiss usage alerts' });

    await userEvent.tab(); // Refresh
    await userEvent.tab();
    expect(dismiss).toHaveFocus();
    await userEvent.keyboard('{Enter}');

    expect(screen.queryByRole('region', { name: 'Usage alerts' })).toBeNull();
    expect(screen.getByRole('heading', { name: 'Usage this period' })).toHaveFocus();
  });

  it('shows the banner again in red when a dismissed warning becomes an error', async () => {
    const api = stubFetch();
    api.respond(USAGE, { body: usageStats({ inbox: 850 }) }, { body: usageStats({ inbox: 1010 }) });
    renderWithClient(<UsageWidget />);
    await userEvent.click(await screen.findByRole('button', { name: 'Dismiss usage alerts' }));

    await userEvent.click(screen.getByRole('button', { name: 'Refresh' }));

    const banner = await screen.findByRole('region', { name: 'Usage alerts' });
    expect(banner).toHaveAttribute('data-level', 'error');
    expect(within(banner).getByRole('alert')).toHaveTextContent('Inbox agent is 10 over its monthly limit');
  });

  it('shows the banner again in the next billing period', async () => {
    const api = stubFetch();
    const december = usageStats({ inbox: 850 }, { period_start: DECEMBER.start, period_end: DECEMBER.end });
    api.respond(USAGE, { body: usageStats({ inbox: 850 }) }, { body: december });
    renderWithClient(<UsageWidget />);
    await userEvent.click(await screen.findByRole('button', { name: 'Dismiss usage alerts' }));

    await userEvent.click(screen.getByRole('button', { name: 'Refresh' }));

    expect(await screen.findByRole('region', { name: 'Usage alerts' })).toHaveAttribute('data-level', 'warning');
    expect(screen.getByText('Jan 1, 2027')).toBeInTheDocument();
  });
});
