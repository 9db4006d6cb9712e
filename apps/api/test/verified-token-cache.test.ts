import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import jwt from 'jsonwebtoken';
import { VerifiedTokenCache, createJwtAuthenticator } from '../src/auth/jwt-auth';
import { resolveJwtKeys } from '@metering/auth';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256-use';
const keys = resolveJwtKeys({ env: 'test', auth: { jwtSecret: SECRET } } as Parameters<typeof resolveJwtKeys>[0]);

/** A fake clock the authenticator and the token's iat/exp agree on. */
function clockAt(ms: number): { now: () => number; set(ms: number): void } {
  let current = ms;
  return { now: () => current, set: (value) => (current = value) };
}

function sign(tenantId: string, iatSeconds: number, expSeconds: number, secret = SECRET): string {
  return jwt.sign({ tenant_id: tenantId, roles: ['user'], sub: 'u', iat: iatSeconds, exp: expSeconds }, secret, { algorithm: 'HS256' });
}

const requestWith = (token: string): Request => ({ headers: { authorization: `Bearer ${token}` } }) as unknown as Request;
const response = {} as Response;

describe('verified-token cache', () => {
  const start = Date.UTC(2026, 10, 29, 12, 0, 0);

  it('serves a verified token again until its exp, and never after', async () => {
    const clock = clockAt(start);
    const auth = createJwtAuthenticator(keys, { clock: clock.now });
    const tenantId = randomUUID();
    const token = sign(tenantId, start / 1000, start / 1000 + 60);

    expect(await auth.tryAuthenticate(requestWith(token), response)).toMatchObject({ tenantId, roles: ['user'] });
    clock.set(start + 59_999);
    expect(await auth.tryAuthenticate(requestWith(token), response)).toMatchObject({ tenantId });
    // At exp the cached verdict is dropped and the full check rejects the token.
    clock.set(start + 60_000);
    expect(await auth.tryAuthenticate(requestWith(token), response)).toBeNull();
    clock.set(start + 30_000);
    // Not re-admitted from the cache once dropped: verified again (and valid again at this time).
    expect(await auth.tryAuthenticate(requestWith(token), response)).toMatchObject({ tenantId });
  });

  it('never stores a token that failed, so a forged twin of a cached token is still refused', async () => {
    const clock = clockAt(start);
    const auth = createJwtAuthenticator(keys, { clock: clock.now });
    const tenantId = randomUUID();
    const good = sign(tenantId, start / 1000, start / 1000 + 60);
    const forged = sign(tenantId, start / 1000, start / 1000 + 60, 'another-secret-that-is-long-enough-for-hs256');
    expect(await auth.tryAuthenticate(requestWith(good), response)).not.toBeNull();
    expect(await auth.tryAuthenticate(requestWith(forged), response)).toBeNull();
    expect(await auth.tryAuthenticate(requestWith(forged), response)).toBeNull();
    // Same claims, tampered signature: a different string, checked in full.
    const tampered = `${good.slice(0, -2)}${good.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(await auth.tryAuthenticate(requestWith(tampered), response)).toBeNull();
  });

  it('keeps at most maxEntries tokens, dropping the oldest first', () => {
    const cache = new VerifiedTokenCache(2, () => start);
    const user = (tenantId: string) => ({ sub: 'u', tenantId, roles: ['user'] });
    cache.set('t1', user('a'), start + 60_000);
    cache.set('t2', user('b'), start + 60_000);
    cache.set('t3', user('c'), start + 60_000);
    expect(cache.get('t1')).toBeNull();
    expect(cache.get('t2')?.tenantId).toBe('b');
    expect(cache.get('t3')?.tenantId).toBe('c');
  });

  it('hands out a user nobody can change', async () => {
    const auth = createJwtAuthenticator(keys, { clock: () => start });
    const token = sign(randomUUID(), start / 1000, start / 1000 + 60);
    await auth.tryAuthenticate(requestWith(token), response);
    const user = (await auth.tryAuthenticate(requestWith(token), response))!;
    expect(() => user.roles.push('admin')).toThrow(TypeError);
    expect((await auth.tryAuthenticate(requestWith(token), response))!.roles).toEqual(['user']);
  });
});
