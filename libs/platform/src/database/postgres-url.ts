/**
 * The server and database a postgres URL names, without its credentials: `10.0.0.5:5432/metering`.
 * Safe for logs and metric labels; two URLs with the same name reach the same database.
 */
export function postgresServerName(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return '(not a URL)';
  }
}
