import type { RequestHandler } from 'express';
import { gauge, redisMasters } from '@metering/platform';
import type { Logger, RedisClient } from '@metering/platform';
import { sendProblem } from '../errors/problem';
import { ingestShed } from './ingest-budget';

const usedRatio = gauge({
  name: 'redis_memory_used_ratio',
  help: "Redis used_memory / maxmemory as this API process last sampled it, of the fullest master on a cluster (0 when maxmemory is unlimited)",
});
usedRatio.set(0);

export interface RedisMemoryGuardOptions {
  redis: RedisClient;
  /** Shed ingest from this percentage of maxmemory on. */
  shedPercent: number;
  sampleMs: number;
  logger: Logger;
}

/** Reads used_memory and maxmemory from an `INFO memory` reply. */
export function memoryOf(info: string): { used: number; max: number } {
  const field = (name: string): number => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return { used: field('used_memory'), max: field('maxmemory') };
}

/** Sheds ingest while Redis is close to its memory limit (see createRedisMemoryGuard). */
export interface RedisMemoryGuard {
  /** 503 + Retry-After while shedding; mounted before the body is read. */
  middleware: RequestHandler;
  /** Takes one sample now (also done every sampleMs). */
  sample(): Promise<void>;
  stop(): void;
}

/**
 * Redis runs with `noeviction`: at maxmemory it refuses every write, for every tenant, including
 * the workers' job completions. This guard samples `INFO memory` every `sampleMs` (never per
 * request; on a Redis Cluster on every master, judging by the fullest, since any master that
 * refuses writes stops its shards) and, from `shedPercent` of maxmemory on, answers ingest 503 with Retry-After so agents
 * back off while the workers drain the queue; the headroom left keeps the workers, the limits
 * and the breaker working. With maxmemory 0 (unlimited) it never sheds.
 */
export function createRedisMemoryGuard(options: RedisMemoryGuardOptions): RedisMemoryGuard {
  let shedding = false;
  let sampling = false;
  const sample = async (): Promise<void> => {
    if (sampling) return;
    sampling = true;
    try {
      const samples = await Promise.all(redisMasters(options.redis).map(async (master) => memoryOf(await master.info('memory'))));
      if (samples.length === 0) return;
      const ratioOf = ({ used, max }: { used: number; max: number }): number => (max > 0 ? used / max : 0);
      const { used, max } = samples.reduce((fullest, next) => (ratioOf(next) > ratioOf(fullest) ? next : fullest));
      const ratio = ratioOf({ used, max });
      usedRatio.set(ratio);
      const shed = ratio * 100 >= options.shedPercent;
      if (shed !== shedding) {
        options.logger.warn(shed ? 'Redis is near maxmemory: shedding ingest with 503' : 'Redis memory back below the limit: ingest resumes', {
          usedBytes: used,
          maxBytes: max,
        });
      }
      shedding = shed;
    } catch {
      // Redis away: ingest answers 503 on its own; keep the last verdict.
    } finally {
      sampling = false;
    }
  };
  const timer = setInterval(() => void sample(), options.sampleMs);
  timer.unref();
  void sample();
  const retryAfter = String(Math.max(1, Math.ceil((options.sampleMs * 5) / 1000)));
  const middleware: RequestHandler = (_req, res, next) => {
    if (!shedding) return next();
    ingestShed.labels('redis_memory').inc();
    sendProblem(res, 503, 'The event queue is near its memory limit; retry the request later', { headers: { 'Retry-After': retryAfter } });
  };
  return { middleware, sample, stop: () => clearInterval(timer) };
}
