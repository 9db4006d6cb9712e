import { BrokenCircuitError } from 'cockatiel';
import type { Clock, Logger, RedisClient } from '@metering/platform';
import { stripeCircuitState } from '../metrics/billing-metrics';

export type CircuitState = 'closed' | 'open' | 'half-open';

const GAUGE_VALUE: Record<CircuitState, number> = { closed: 0, open: 1, 'half-open': 2 };

export interface RedisCircuitBreakerOptions {
  redis: RedisClient;
  /** Key prefix shared by every process that must see the same state, e.g. `{metering}:stripe`. */
  keyPrefix: string;
  /** Consecutive failures that open the circuit. */
  threshold: number;
  /** How long the circuit stays open before one trial call is let through. */
  openMs: number;
  clock: Clock;
  logger: Logger;
  /** How long a half-open trial may hold its lock before another process may try (crash safety). */
  trialLeaseMs?: number;
}

// INCR the failure count; open the circuit when it reaches the threshold and it is not open yet.
const RECORD_FAILURE = `
local failures = redis.call('INCR', KEYS[1])
if failures >= tonumber(ARGV[1]) and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SET', KEYS[2], ARGV[2])
  return {failures, 1}
end
return {failures, 0}`;

/**
 * A circuit breaker whose state lives in Redis, so every worker process stops calling Stripe
 * once it opens. Closed: calls go through; `threshold` consecutive failures open it. Open: calls
 * fail fast with cockatiel's BrokenCircuitError until `openMs` has passed. Half-open: exactly one
 * process wins a SET NX lock and makes a trial call; success closes the circuit, failure re-opens it.
 */
export class RedisCircuitBreaker {
  private readonly keys: { failures: string; openUntil: string; trial: string };

  constructor(private readonly options: RedisCircuitBreakerOptions) {
    const prefix = `${options.keyPrefix}:circuit`;
    this.keys = { failures: `${prefix}:failures`, openUntil: `${prefix}:open-until`, trial: `${prefix}:trial` };
  }

  /** The state as Redis holds it now (also updates the `stripe_circuit_state` gauge). */
  async state(): Promise<{ state: CircuitState; openUntil: Date | null }> {
    const raw = await this.options.redis.get(this.keys.openUntil);
    if (raw === null) return this.observe('closed', null);
    const openUntil = new Date(Number(raw));
    return this.observe(this.options.clock().getTime() < openUntil.getTime() ? 'open' : 'half-open', openUntil);
  }

  /**
   * Runs `fn` under the breaker. `isFailure` decides which errors count against Stripe's health
   * (a 400 means Stripe answered, so it does not).
   */
  async execute<T>(fn: () => Promise<T>, isFailure: (error: unknown) => boolean): Promise<T> {
    const trial = await this.admit();
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      if (isFailure(error)) await this.recordFailure(trial);
      else await this.recordSuccess(trial);
      throw error;
    }
    await this.recordSuccess(trial);
    return result;
  }

  /** Resolves to true for the half-open trial call, false for a normal one; throws while open. */
  private async admit(): Promise<boolean> {
    const { state, openUntil } = await this.state();
    if (state === 'closed') return false;
    if (state === 'half-open') {
      const lease = this.options.trialLeaseMs ?? 60_000;
      if ((await this.options.redis.set(this.keys.trial, '1', 'PX', lease, 'NX')) === 'OK') {
        this.options.logger.info('Stripe circuit half-open: sending one trial request');
        return true;
      }
    }
    throw new BrokenCircuitError(`Stripe circuit is ${state} until ${openUntil?.toISOString()}`);
  }

  private async recordSuccess(trial: boolean): Promise<void> {
    if (trial) {
      await this.options.redis.del(this.keys.openUntil, this.keys.failures, this.keys.trial);
      this.observe('closed', null);
      this.options.logger.info('Stripe circuit closed: trial request succeeded');
      return;
    }
    await this.options.redis.del(this.keys.failures);
  }

  private async recordFailure(trial: boolean): Promise<void> {
    const openUntil = this.options.clock().getTime() + this.options.openMs;
    if (trial) {
      await this.options.redis.multi().set(this.keys.openUntil, String(openUntil)).del(this.keys.trial).exec();
      this.observe('open', new Date(openUntil));
      this.options.logger.warn(`Stripe circuit re-opened: trial request failed; open until ${new Date(openUntil).toISOString()}`);
      return;
    }
    const [failures, opened] = (await this.options.redis.eval(
      RECORD_FAILURE,
      2,
      this.keys.failures,
      this.keys.openUntil,
      this.options.threshold,
      openUntil,
    )) as [number, number];
    if (opened === 1) {
      this.observe('open', new Date(openUntil));
      this.options.logger.error(
        `Stripe circuit opened after ${failures} consecutive failures; no requests until ${new Date(openUntil).toISOString()}`,
      );
    }
  }

  private observe(state: CircuitState, openUntil: Date | null): { state: CircuitState; openUntil: Date | null } {
    stripeCircuitState.set(GAUGE_VALUE[state]);
    return { state, openUntil };
  }
}
