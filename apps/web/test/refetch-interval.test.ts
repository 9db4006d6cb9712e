import { describe, expect, it } from 'vitest';
import { DEFAULT_REFETCH_MS, refetchIntervalFrom } from '../src/components/usage/use-usage';
import { shouldRetry } from '../src/query-client';
import { ApiError } from '../src/api/api-error';

describe('refetch interval', () => {
  it('is 30 seconds unless the URL asks otherwise', () => {
    expect(DEFAULT_REFETCH_MS).toBe(30_000);
    expect(refetchIntervalFrom('')).toBe(30_000);
    expect(refetchIntervalFrom('?refetch=abc')).toBe(30_000);
    expect(refetchIntervalFrom('?refetch=-5')).toBe(30_000);
  });

  it('takes ?refetch=<ms>, never faster than once a second nor slower than every 5 minutes', () => {
    expect(refetchIntervalFrom('?refetch=2000')).toBe(2000);
    expect(refetchIntervalFrom('?refetch=10')).toBe(1000);
    expect(refetchIntervalFrom('?refetch=99999999')).toBe(300_000);
  });
});

describe('retry policy', () => {
  it('retries network failures and 5xx twice, never a 4xx', () => {
    expect(shouldRetry(0, new TypeError('Failed to fetch'))).toBe(true);
    expect(shouldRetry(1, new ApiError(503, 'Service Unavailable', undefined, undefined))).toBe(true);
    expect(shouldRetry(2, new ApiError(503, 'Service Unavailable', undefined, undefined))).toBe(false);
    expect(shouldRetry(0, new ApiError(429, 'Too Many Requests', undefined, 10))).toBe(false);
    expect(shouldRetry(0, new ApiError(401, 'Unauthorized', undefined, undefined))).toBe(false);
  });
});
