import autocannon from 'autocannon';
import type { AutocannonResult } from 'autocannon';
import type { Latency } from './bench-report';

export function latencyOf(result: AutocannonResult): Latency {
  return { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max };
}

/** autocannon against `url`; with `tokens`, each request carries the next one (tenants in rotation). */
export async function load(url: string, connections: number, duration: number, tokens?: string[]): Promise<AutocannonResult> {
  let next = 0;
  const requests = tokens
    ? [{ setupRequest: (req: object) => ({ ...req, headers: { authorization: `Bearer ${tokens[next++ % tokens.length]}` } }) }]
    : undefined;
  return autocannon({ url, connections, duration, requests });
}
