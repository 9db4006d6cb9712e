import jwt from 'jsonwebtoken';
import type { TrackEventInput } from '@metering/usage';
import type { AckLog } from './ledger-check';
import { chunk, wireBody } from './workload';

/** An HS256 token as the identity provider would issue it (the stack's JWT_SECRET). */
export function bearerFor(tenantId: string, roles: string[] = ['agent'], ttlSeconds = 900): string {
  return jwt.sign({ tenant_id: tenantId, roles }, process.env.JWT_SECRET!, { algorithm: 'HS256', expiresIn: ttlSeconds, subject: `faults-${roles[0]}` });
}

/** What each HTTP answer was, by status ('network' when the connection failed). */
export type StatusTally = Record<string, number>;

export interface HttpIngestOptions {
  /** API base URLs; batches go round-robin over them. */
  urls: readonly string[];
  events: readonly TrackEventInput[];
  acks: AckLog;
  batchSize?: number;
  inFlight?: number;
  /**
   * Retry a batch answered 503 (or a refused connection) until it is acknowledged, as an agent
   * service does; false: give up on it (it is then not acknowledged).
   */
  retryUntilAccepted?: boolean;
  /**
   * Stop retrying, and stop sending, this long after the start (the scenario then fails on the
   * missing acknowledgements), so a failed scenario never leaves a sender running.
   */
  giveUpAfterMs?: number;
  tally?: StatusTally;
  /** Pause of each lane between batches, to stretch ingest over a fault window. */
  pauseMs?: number;
}

async function post(url: string, token: string, body: unknown): Promise<number | 'network'> {
  try {
    const response = await fetch(`${url}/api/v1/usage/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    if (process.env.FAULT_ECHO === '1' && response.status >= 500) process.stderr.write(`ingest ${response.status}: ${text}\n`);
    return response.status;
  } catch {
    return 'network';
  }
}

/**
 * Sends events over HTTP in single-tenant batches (the tenant comes from the token). Only a 202
 * acknowledges a batch; any other answer is tallied and, with `retryUntilAccepted`, retried with
 * the same idempotency keys after a short pause.
 */
export async function sendOverHttp(options: HttpIngestOptions): Promise<StatusTally> {
  const tally = options.tally ?? {};
  const byTenant = new Map<string, TrackEventInput[]>();
  for (const event of options.events) byTenant.set(event.tenantId, [...(byTenant.get(event.tenantId) ?? []), event]);
  const batches = [...byTenant.values()].flatMap((events) => chunk(events, options.batchSize ?? 50));
  const tokens = new Map([...byTenant.keys()].map((tenantId) => [tenantId, bearerFor(tenantId)]));
  let next = 0;
  let request = 0;
  const giveUpAt = Date.now() + (options.giveUpAfterMs ?? 60_000);

  const sendBatch = async (batch: TrackEventInput[]): Promise<void> => {
    options.acks.noteSent(batch.length);
    for (;;) {
      const url = options.urls[request++ % options.urls.length]!;
      const status = await post(url, tokens.get(batch[0]!.tenantId)!, wireBody(batch));
      tally[status] = (tally[status] ?? 0) + 1;
      if (status === 202) {
        options.acks.acknowledge(batch.map((e) => ({ tenantId: e.tenantId, idempotencyKey: e.idempotencyKey!, quantity: e.quantity })));
        return;
      }
      const retriable = status === 503 || status === 'network';
      if (!options.retryUntilAccepted || !retriable || Date.now() > giveUpAt) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  await Promise.all(
    Array.from({ length: options.inFlight ?? 4 }, async () => {
      while (next < batches.length && Date.now() < giveUpAt) {
        await sendBatch(batches[next++]!);
        if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
      }
    }),
  );
  return tally;
}
