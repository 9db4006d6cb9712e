import { ApiError } from '../../api/api-error';
import { setAuthToken } from '../../auth/auth-token.store';
import { PastPeriods } from '../../components/history/PastPeriods';
import { UsageHistory } from '../../components/history/UsageHistory';
import { UsageWidget } from '../../components/usage/UsageWidget';
import { useUsage } from '../../components/usage/use-usage';
import { DEV_LOGIN_ENABLED } from './dev-login';
import { PlanSummary } from './PlanSummary';
import { SignInPrompt } from './SignInPrompt';
import './billing.css';

/** Subscriptions whose usage and billing the page shows. */
const BILLABLE_STATUSES = ['active', 'trialing'];

const STATUS_MESSAGES: Readonly<Record<string, string>> = {
  past_due: 'Your subscription is past due. Update your payment method to see usage and billing again.',
  canceled: 'Your subscription has been canceled. Usage and billing are shown for active subscriptions only.',
};

export interface BillingPageProps {
  devLogin?: boolean;
}

/** Settings › Billing: the plan and billing period, then live usage (for active or trial subscriptions). */
export function BillingPage({ devLogin = DEV_LOGIN_ENABLED }: BillingPageProps) {
  const usage = useUsage();
  const error = usage.error instanceof ApiError ? usage.error : null;

  let content;
  if (usage.token === null) {
    content = (
      <SignInPrompt title="Sign in to see your billing" message="Your plan and this month's usage appear here once you are signed in." devLogin={devLogin} />
    );
  } else if (error?.isAuthError) {
    content = (
      <SignInPrompt
        title={error.status === 401 ? 'Your session has ended' : 'You cannot view billing'}
        message={
          error.status === 401
            ? 'Please sign in again to see your plan and usage.'
            : 'Your account is not allowed to see this tenant’s billing. Ask an administrator for access.'
        }
        devLogin={devLogin}
      />
    );
  } else if (error?.status === 404 && !usage.data) {
    content = (
      <section className="notice-card" role="status">
        <h2>No subscription yet</h2>
        <p>Your account has no subscription, so there is no usage to show. Choose a plan to get started.</p>
      </section>
    );
  } else if (usage.data && !BILLABLE_STATUSES.includes(usage.data.subscription_status)) {
    content = (
      <section className="notice-card" role="status">
        <h2>Billing is unavailable</h2>
        <p>
          {STATUS_MESSAGES[usage.data.subscription_status] ??
            `Your subscription is ${usage.data.subscription_status}. Usage is shown for active subscriptions only.`}
        </p>
      </section>
    );
  } else {
    content = (
      <>
        {/* With no usage at all, the widget alone explains the failure and offers the retry. */}
        {(usage.data || !usage.error) && <PlanSummary stats={usage.data} />}
        <UsageWidget />
        {usage.data && <UsageHistory stats={usage.data} />}
        {usage.data && <PastPeriods />}
      </>
    );
  }

  return (
    <main className="billing-page">
      <header className="billing-page__header">
        <div>
          <p className="billing-page__breadcrumb">Settings</p>
          <h1>Billing</h1>
        </div>
        {usage.token !== null && (
          <button type="button" className="button button--ghost button--small" onClick={() => setAuthToken(null)}>
            Sign out
          </button>
        )}
      </header>
      {content}
    </main>
  );
}
