import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, BILLING_PATH } from './App';
import { createQueryClient } from './query-client';
import './styles/base.css';

// The app's home is the billing page; keep any query (e.g. ?refetch=) when sending "/" there.
if (window.location.pathname === '/') {
  window.history.replaceState(null, '', `${BILLING_PATH}${window.location.search}`);
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App queryClient={createQueryClient()} pathname={window.location.pathname} />
  </StrictMode>,
);
