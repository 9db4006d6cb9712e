import { QueryClientProvider } from '@tanstack/react-query';
import type { QueryClient } from '@tanstack/react-query';
import { BillingPage } from './pages/Settings/Billing';

export const BILLING_PATH = '/settings/billing';

/** The web app: one page today, so routing is a path check rather than a router dependency. */
export function App({ queryClient, pathname }: { queryClient: QueryClient; pathname: string }) {
  return (
    <QueryClientProvider client={queryClient}>
      {pathname.replace(/\/+$/, '') === BILLING_PATH ? (
        <BillingPage />
      ) : (
        <main className="billing-page">
          <h1>Page not found</h1>
          <p>
            <a href={BILLING_PATH}>Go to Settings › Billing</a>
          </p>
        </main>
      )}
    </QueryClientProvider>
  );
}
