import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { TOKEN_STORAGE_KEY } from '../src/auth/auth-token.store';

export const TEST_TOKEN = 'test-token';

/** Renders `ui` with a fresh query client (no retries, nothing cached) and, by default, a signed-in user. */
export function renderWithClient(ui: ReactElement, options: { signedIn?: boolean } = {}) {
  if (options.signedIn !== false) window.localStorage.setItem(TOKEN_STORAGE_KEY, TEST_TOKEN);
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, gcTime: Infinity } } });
  const result = render(<QueryClientProvider client={client}>{ui}</QueryClientProvider>);
  return { ...result, client };
}
