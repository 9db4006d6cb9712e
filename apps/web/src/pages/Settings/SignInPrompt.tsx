import { useState } from 'react';
import { requestDemoToken } from '../../api/usage-api.client';
import { setAuthToken } from '../../auth/auth-token.store';

export interface SignInPromptProps {
  title: string;
  message: string;
  /** Offer the one-click demo account (development builds only). */
  devLogin: boolean;
}

/** Shown instead of billing details when nobody (valid) is signed in. */
export function SignInPrompt({ title, message, devLogin }: SignInPromptProps) {
  const [pending, setPending] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  async function useDemoAccount(): Promise<void> {
    setPending(true);
    setFailure(null);
    try {
      setAuthToken(await requestDemoToken());
    } catch (error) {
      setFailure((error as Error).message);
    } finally {
      setPending(false);
    }
  }

  return (
    <section className="notice-card" aria-labelledby="sign-in-heading">
      <h2 id="sign-in-heading">{title}</h2>
      <p>{message}</p>
      {devLogin && (
        <div className="notice-card__actions">
          <button type="button" className="button" onClick={() => void useDemoAccount()} disabled={pending}>
            {pending ? 'Signing in…' : 'Use demo account'}
          </button>
          <span className="notice-card__hint">Development only: signs you in as the seeded “Demo tenant”.</span>
        </div>
      )}
      {failure && (
        <p className="notice-card__error" role="alert">
          The demo account is not available: {failure}
        </p>
      )}
    </section>
  );
}
