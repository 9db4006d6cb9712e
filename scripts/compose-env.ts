/**
 * `npm run compose:env`: writes `.env` (ignored by git) with random secrets for
 * `docker compose up`, once. docker-compose.yml has no default secrets and stops with a message
 * when one is missing; an existing .env is never overwritten, so the secrets stay stable.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const file = path.resolve(__dirname, '..', '.env');
if (existsSync(file)) {
  process.stdout.write(`${file} exists; left as it is\n`);
} else {
  const lines = [
    '# Written once by `npm run compose:env` for docker compose; not committed (.gitignore).',
    `JWT_SECRET=${randomBytes(32).toString('hex')}`,
    'JWT_ISSUER=usage-metering-local',
    'JWT_AUDIENCE=usage-metering-api',
    `OPERATOR_PASSWORD=${randomBytes(18).toString('base64url')}`,
  ];
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  process.stdout.write(`wrote ${file} (JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE, OPERATOR_PASSWORD)\n`);
}
