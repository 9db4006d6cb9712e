import { useSyncExternalStore } from 'react';

/** Where the page keeps the signed-in user's bearer token. */
export const TOKEN_STORAGE_KEY = 'metering.token';

const listeners = new Set<() => void>();

function read(): string | null {
  try {
    return window.localStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    // Storage can be blocked (privacy mode); then nobody is signed in.
    return null;
  }
}

function notify(): void {
  listeners.forEach((listener) => listener());
}

/** Stores (or, with null, forgets) the bearer token and tells every subscriber. */
export function setAuthToken(token: string | null): void {
  try {
    if (token) window.localStorage.setItem(TOKEN_STORAGE_KEY, token);
    else window.localStorage.removeItem(TOKEN_STORAGE_KEY);
  } catch {
    // Ignored: without storage the token lives only until the page reloads.
  }
  notify();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  // Another tab signing in or out changes this tab too.
  const onStorage = (event: StorageEvent) => {
    if (event.key === TOKEN_STORAGE_KEY) listener();
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

/** The current bearer token (null when signed out); re-renders when it changes. */
export function useAuthToken(): string | null {
  return useSyncExternalStore(subscribe, read, () => null);
}
