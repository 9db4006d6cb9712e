/**
 * `npm run token -- --tenant <uuid> [--role operator] [--role agent] [--ttl 3600] [--sub me]`
 * Prints a bearer token signed with the configured JWT_SECRET (or the development secret the API
 * also falls back to), for trying the API by hand. Refuses when NODE_ENV=production.
 */
import { parseArgs } from 'node:util';
import { isUuid, loadConfig } from '@metering/platform';
import { resolveJwtKeys } from '../auth/jwt-keys';
import { mintToken } from '../auth/token-signer';

const USAGE = 'usage: npm run token -- --tenant <tenant-uuid> [--role user|agent|service|operator]... [--ttl seconds] [--sub subject]';

/** Runs the command; returns the exit code. Separate from process handling so it stays testable. */
export function runMintToken(argv: string[], env: NodeJS.ProcessEnv, out: (line: string) => void, err: (line: string) => void): number {
  if ((env.NODE_ENV ?? 'development') === 'production') {
    err('refusing to mint tokens with NODE_ENV=production: production tokens come from your identity provider');
    return 1;
  }
  let values: { tenant?: string; role?: string[]; ttl?: string; sub?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        tenant: { type: 'string' },
        role: { type: 'string', multiple: true },
        ttl: { type: 'string' },
        sub: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    err(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    out(USAGE);
    return 0;
  }
  if (!values.tenant || !isUuid(values.tenant)) {
    err(`--tenant must be a tenant id (a UUID)\n${USAGE}`);
    return 2;
  }
  const ttlSeconds = values.ttl === undefined ? 3600 : Number(values.ttl);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 7 * 86_400) {
    err(`--ttl must be 1 to 604800 seconds\n${USAGE}`);
    return 2;
  }
  // Only the auth settings matter here; the URLs are placeholders so config validation passes.
  const config = loadConfig({ ...env, DATABASE_URL: 'postgres://unused', REDIS_URL: 'redis://unused' });
  const { token } = mintToken(resolveJwtKeys(config), {
    tenantId: values.tenant,
    roles: values.role && values.role.length > 0 ? values.role : ['user'],
    sub: values.sub ?? 'cli-user',
    ttlSeconds,
  });
  out(token);
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = runMintToken(
      process.argv.slice(2),
      process.env,
      (line) => process.stdout.write(`${line}\n`),
      (line) => process.stderr.write(`${line}\n`),
    );
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
