/**
 * Used only outside production when no JWT_SECRET / JWT_PUBLIC_KEY is configured, so `npm start`
 * and the CLI's `token` command agree on a key without set-up. Production refuses to start with it.
 */
export const DEV_JWT_SECRET = 'development-only-jwt-secret--never-use-in-production';

/**
 * Secrets that were ever published as examples (docker-compose.yml defaults before they became
 * required, the development secret). Anyone can read them, so a production start refuses them.
 */
export const KNOWN_EXAMPLE_SECRETS: ReadonlySet<string> = new Set([
  DEV_JWT_SECRET,
  'change-me-development-secret-at-least-32-chars',
  'change-me-operator',
]);
