import { mintToken, resolveJwtKeys } from '@metering/auth';
import { isUuid, loadTokenConfig } from '@metering/platform';
import { CliUsageError, requireString } from '../cli-command';
import type { CliCommand } from '../cli-command';

const MAX_TTL_SECONDS = 7 * 86_400;

/**
 * `npm run usage -- token` (alias `npm run token`): a bearer token signed with the API's keys
 * (JWT_SECRET, or the development secret the API also falls back to), for trying the API by hand.
 * Reads only NODE_ENV and the JWT variables; refuses in production, where tokens come from the
 * identity provider.
 */
export const tokenCommand: CliCommand = {
  name: 'token',
  summary: 'Print a development bearer token for a tenant (never in production)',
  usage: 'token --tenant <tenant-id> [--role user|agent|service|operator]... [--ttl seconds] [--sub subject]\n' +
    '  --role   repeat for several roles (default: user)\n' +
    '  --ttl    lifetime, 1 to 604800 seconds (default: 3600)\n' +
    '  --sub    subject claim (default: cli-user)',
  options: { tenant: { type: 'string' }, role: { type: 'string', multiple: true }, ttl: { type: 'string' }, sub: { type: 'string' } },
  async run(options, context) {
    const tenantId = requireString(options, 'tenant');
    if (!isUuid(tenantId)) throw new CliUsageError('--tenant must be a tenant id (a UUID)');
    const ttlSeconds = options.ttl === undefined ? 3600 : Number(options.ttl);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS) {
      throw new CliUsageError(`--ttl must be 1 to ${MAX_TTL_SECONDS} seconds`);
    }
    const roles = Array.isArray(options.role) && options.role.length > 0 ? options.role : ['user'];
    const config = loadTokenConfig(context.env);
    if (config.env === 'production') {
      throw new Error('refusing to mint tokens with NODE_ENV=production: production tokens come from your identity provider');
    }
    const { token, expiresIn } = mintToken(resolveJwtKeys(config), {
      tenantId,
      roles,
      sub: typeof options.sub === 'string' ? options.sub : 'cli-user',
      ttlSeconds,
    });
    return { text: token, json: { token, token_type: 'Bearer', expires_in: expiresIn, tenant_id: tenantId } };
  },
};
