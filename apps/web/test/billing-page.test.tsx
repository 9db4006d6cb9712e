import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { TOKEN_STORAGE_KEY } from '../src/auth/auth-token.store';
import { BillingPage } from '../src/pages/Settings/Billing';
import { stubFetch } from './fetch-stub';
import { renderWithClient } from './render-app';
import { usageStats } from './usage-fixtures';

const USAGE = '/api/v1/usage';

describe('Billing page', () => {
  it('shows the plan name and billing period above the usage widget', async () => {
    stubFetch().respond(USAGE, { body: usageStats({ inbox: 812 }) });
    renderWithClient(<BillingPage devLogin={false} />);

    const plan = await screen.findByRole('region', { name: /Starter/ });
    expect(plan).toHaveTextContent('Active');
    expect(plan).toHaveTextContent('Nov 1 – Nov 30, 2026');
    const widget = screen.getByRole('region', { name: 'Usage this period' });
    expect(plan.compareDocumentPosition(widget) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(await within(widget).findAllByRole('progressbar')).toHaveLength(2);
  });

  it('shows a trial subscription as such', async () => {
    stubFetch().respond(USAGE, { body: usageStats({}, { subscription_status: 'trialing', plan: { code: 'trial', name: 'Trial' } }) });
    renderWithClient(<BillingPage devLogin={false} />);
    expect(await screen.findByRole('region', { name: /Trial/ })).toHaveTextContent('Trial');
    expect(await screen.findAllByRole('progressbar')).toHaveLength(2);
  });

  it.each([
    ['past_due', 'Your subscription is past due'],
    ['canceled', 'Your subscription has been canceled'],
  ])('explains that a %s subscription has no billing page and shows no usage', async (status, message) => {
    stubFetch().respond(USAGE, { body: usageStats({ inbox: 900 }, { subscription_status: status }) });
    renderWithClient(<BillingPage devLogin={false} />);
    expect(await screen.findByText(new RegExp(message))).toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(screen.queryByRole('region', { name: 'Usage this period' })).toBeNull();
  });

  it('asks a signed-out visitor to sign in and requests no usage', async () => {
    const api = stubFetch();
    renderWithClient(<BillingPage devLogin={false} />, { signedIn: false });
    expect(screen.getByRole('heading', { name: 'Sign in to see your billing' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Use demo account' })).toBeNull();
    expect(api.requests).toHaveLength(0);
  });

  it('says the session ended when the API rejects the token', async () => {
    stubFetch().respond(USAGE, { status: 401, body: { title: 'Unauthorized', status: 401 } });
    renderWithClient(<BillingPage devLogin={false} />);
    expect(await screen.findByRole('heading', { name: 'Your session has ended' })).toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).toBeNull();
  });

  it('says so when the tenant has no subscription', async () => {
    stubFetch().respond(USAGE, { status: 404, body: { title: 'Not Found', status: 404, detail: 'no subscription' } });
    renderWithClient(<BillingPage devLogin={false} />);
    expect(await screen.findByRole('heading', { name: 'No subscription yet' })).toBeInTheDocument();
  });

  it('signs in with one click as the demo tenant in development builds', async () => {
    const api = stubFetch();
    api.respond('/api/v1/dev/token', { body: { token: 'demo-token' } });
    api.respond(USAGE, { body: usageStats({ inbox: 640 }) });
    renderWithClient(<BillingPage devLogin />, { signedIn: false });

    await userEvent.click(screen.getByRole('button', { name: 'Use demo account' }));

    expect(await screen.findByRole('progressbar', { name: 'Emails processed' })).toHaveAttribute('aria-valuenow', '640');
    expect(window.localStorage.getItem(TOKEN_STORAGE_KEY)).toBe('demo-token');
    expect(api.requests.find((request) => request.path === USAGE)?.authorization).toBe('Bearer demo-token');
  });

  it('tells the user when the demo account is not available', async () => {
    stubFetch().respond('/api/v1/dev/token', { status: 404, body: { title: 'Not Found', status: 404 } });
    renderWithClient(<BillingPage devLogin />, { signedIn: false });
    await userEvent.click(screen.getByRole('button', { name: 'Use demo account' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The demo account is not available: Not Found');
  });

  it('signs out', async () => {
    stubFetch().respond(USAGE, { body: usageStats() });
    renderWithClient(<BillingPage devLogin={false} />);
    await userEvent.click(await screen.findByRole('button', { name: 'Sign out' }));
    expect(screen.getByRole('heading', { name: 'Sign in to see your billing' })).toBeInTheDocument();
    expect(window.localStorage.getItem(TOKEN_STORAGE_KEY)).toBeNull();
  });
});
