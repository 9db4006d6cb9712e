import type { RedisClient } from '@metering/platform';

export interface BasicAuthLockoutOptions {
  redis: RedisClient;
  keyPrefix: string;
  /** Failed logins from one IP before it is locked out. */
  maxFailures: number;
  lockoutSeconds: number;
}

/**
 * Failed Bull Board basic-auth logins per client IP, in Redis so every API process sees the same
 * count. After `maxFailures` failures within `lockoutSeconds` the IP is locked out for
 * `lockoutSeconds` (from its last failure): even the right password is refused until then, so a
 * guessing attack learns nothing from the answers.
 */
export class BasicAuthLockout {
  constructor(private readonly options: BasicAuthLockoutOptions) {}

  private key(ip: string): string {
    return `${this.options.keyPrefix}basic-auth-failures:${ip}`;
  }

  /** Seconds the IP is still locked out, or 0. */
  async lockedForSeconds(ip: string): Promise<number> {
    const [[, failures], [, ttlMs]] = (await this.options.redis.multi().get(this.key(ip)).pttl(this.key(ip)).exec()) as [
      [unknown, string | null],
      [unknown, number],
    ];
    if (Number(failures ?? 0) < this.options.maxFailures) return 0;
    return Math.max(1, Math.ceil(ttlMs / 1000));
  }

  /** Records a failed login; resolves with the seconds of lockout it caused (0 while under the limit). */
  async noteFailure(ip: string): Promise<number> {
    const key = this.key(ip);
    const windowMs = this.options.lockoutSeconds * 1000;
    const [[, failures]] = (await this.options.redis.multi().incr(key).pexpire(key, windowMs, 'NX').exec()) as [[unknown, number]];
    if (failures < this.options.maxFailures) return 0;
    await this.options.redis.pexpire(key, windowMs);
    return this.options.lockoutSeconds;
  }
}
