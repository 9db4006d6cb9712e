import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { MeterRequestError, StripeMeterStore } from './stripe-meter-store';

/** How the server answers a request: a success, a Stripe error of that status, or never. */
export type StripeReplyMode = 'ok' | 400 | 429 | 500 | 'hang';

/** One request as the server received it. */
export interface RecordedStripeRequest {
  method: string;
  path: string;
  /** The form body (the query string of a GET), flat keys as sent (`payload[value]`, `event_name`). */
  body: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** HTTP status the server answered (unset while a request hangs). */
  status?: number;
}

interface ScriptedReply {
  mode: StripeReplyMode;
  remaining: number;
  message?: string;
}

/**
 * A real local HTTP server standing in for api.stripe.com, for the real stripe-node client.
 * It records every request and answers as the test scripted it (`respond(...)`), with an optional
 * latency. It also tracks how many calls per (customer, meter) were in flight at once, the limit
 * Stripe enforces on Billing Meters. Meter events, cancellations (`meter_event_adjustments`), the
 * meter list and event summaries behave as Stripe's do (`meters`: what it actually received).
 */
export class StripeTestServer {
  readonly requests: RecordedStripeRequest[] = [];
  /** What Stripe holds: tests read it, inject faults (`meters.injectFault`) and move its clock. */
  readonly meters = new StripeMeterStore();
  private readonly script: ScriptedReply[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly inFlight = new Map<string, number>();
  private readonly maxInFlight = new Map<string, number>();
  private latencyMs = 0;
  private overallInFlight = 0;
  private overallMax = 0;

  private constructor(private readonly server: Server) {}

  /** Starts a server on a free port of 127.0.0.1. */
  static async start(): Promise<StripeTestServer> {
    const holder: { instance?: StripeTestServer } = {};
    const server = createServer((req, res) => void holder.instance?.handle(req, res));
    const instance = new StripeTestServer(server);
    holder.instance = instance;
    server.on('connection', (socket) => {
      instance.sockets.add(socket);
      socket.on('close', () => instance.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return instance;
  }

  /** Base URL for `STRIPE_API_BASE`, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * Queues a reply for the next `times` requests (default: every following request). Replies are
   * used in the order queued; once the queue is used up the server answers 200.
   */
  respond(mode: StripeReplyMode, times = Number.POSITIVE_INFINITY, message?: string): this {
    this.script.push({ mode, remaining: times, message });
    return this;
  }

  /** Drops the replies still scripted (recorded requests are kept): every next request gets 200. */
  clearReplies(): this {
    this.script.length = 0;
    return this;
  }

  /** Delay before each answer, in milliseconds. */
  setLatency(ms: number): this {
    this.latencyMs = ms;
    return this;
  }

  /** Forgets recorded requests, scripted replies, latency and concurrency peaks. */
  reset(): void {
    this.requests.length = 0;
    this.script.length = 0;
    this.latencyMs = 0;
    this.maxInFlight.clear();
    this.overallMax = 0;
    this.meters.reset();
  }

  requestsTo(path: string): RecordedStripeRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Highest number of simultaneous requests seen for any one (customer, meter) key. */
  maxConcurrentPerCustomerMeter(): number {
    return Math.max(0, ...this.maxInFlight.values());
  }

  /** Highest number of simultaneous requests seen overall. */
  maxConcurrentOverall(): number {
    return this.overallMax;
  }

  /** Stops the server, cutting hanging requests. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private nextReply(): ScriptedReply {
    const head = this.script[0];
    if (!head) return { mode: 'ok', remaining: 1 };
    head.remaining -= 1;
    if (head.remaining <= 0) this.script.shift();
    return head;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const [path = '/', search = ''] = (req.url ?? '/').split('?');
    const body = Object.fromEntries(new URLSearchParams(req.method === 'GET' ? search : Buffer.concat(chunks).toString('utf8')));
    const recorded: RecordedStripeRequest = { method: req.method ?? 'GET', path, body, headers: req.headers };
    this.requests.push(recorded);
    const reply = this.nextReply();

    // Meter events are keyed by customer and meter; legacy usage records by subscription item.
    const key = `${body['payload[stripe_customer_id]'] ?? path}|${body.event_name ?? ''}`;
    this.enter(key);
    try {
      if (reply.mode === 'hang') {
        await new Promise<void>((resolve) => res.on('close', resolve));
        return;
      }
      if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      recorded.status = this.answer(res, reply, path, body);
    } finally {
      this.leave(key);
    }
  }

  /** Writes the scripted answer; returns its status. */
  private answer(res: ServerResponse, reply: ScriptedReply, path: string, body: Record<string, string>): number {
    const requestId = `req_${randomBytes(7).toString('hex')}`;
    let answered = 0;
    const send = (status: number, payload: unknown): void => {
      answered = status;
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId });
      res.end(JSON.stringify(payload));
    };
    if (reply.mode === 400) {
      send(400, { error: { type: 'invalid_request_error', code: 'parameter_invalid', message: reply.message ?? 'Invalid request' } });
    } else if (reply.mode === 429) {
      send(429, { error: { type: 'invalid_request_error', code: 'rate_limit', message: reply.message ?? 'Too many requests' } });
    } else if (reply.mode === 500) {
      send(500, { error: { type: 'api_error', message: reply.message ?? 'An unknown error occurred' } });
    } else if (path.endsWith('/usage_records')) {
      send(200, {
        id: `mbur_${randomBytes(7).toString('hex')}`,
        object: 'usage_record',
        livemode: false,
        quantity: Number(body.quantity),
        subscription_item: path.split('/')[3],
        timestamp: Number(body.timestamp),
      });
    } else if (path !== '/v1/billing/meter_events') {
      try {
        send(200, this.meterAnswer(path, body));
      } catch (error) {
        if (!(error instanceof MeterRequestError)) throw error;
        send(400, { error: { type: 'invalid_request_error', code: 'parameter_invalid', message: error.message } });
      }
    } else {
      try {
        this.meters.record(body);
      } catch (error) {
        if (!(error instanceof MeterRequestError)) throw error;
        send(400, { error: { type: 'invalid_request_error', code: 'parameter_invalid', message: error.message } });
        return answered;
      }
      send(200, {
        object: 'billing.meter_event',
        created: Math.floor(Date.now() / 1000),
        event_name: body.event_name,
        identifier: body.identifier,
        livemode: false,
        payload: { stripe_customer_id: body['payload[stripe_customer_id]'], value: body['payload[value]'] },
        timestamp: Number(body.timestamp),
      });
    }
    return answered;
  }

  /** Meter event adjustments, the meter list and event summaries. */
  private meterAnswer(path: string, body: Record<string, string>): unknown {
    if (path === '/v1/billing/meter_event_adjustments') {
      this.meters.cancel(body);
      return { object: 'billing.meter_event_adjustment', livemode: false, status: 'complete', event_name: body.event_name, type: 'cancel', cancel: { identifier: body['cancel[identifier]'] } };
    }
    if (path === '/v1/billing/meters') {
      return { object: 'list', data: this.meters.meterList(), has_more: false, url: '/v1/billing/meters' };
    }
    const summaries = /^\/v1\/billing\/meters\/([^/]+)\/event_summaries$/.exec(path);
    if (summaries) {
      const meter = decodeURIComponent(summaries[1]!);
      const summary = this.meters.summary(meter, body);
      return {
        object: 'list',
        data: [{ id: `mtrusg_test_${randomBytes(6).toString('hex')}`, object: 'billing.meter_event_summary', livemode: false, meter, ...summary }],
        has_more: false,
        url: path,
      };
    }
    throw new MeterRequestError(`Unrecognized request URL (${path})`);
  }

  private enter(key: string): void {
    const now = (this.inFlight.get(key) ?? 0) + 1;
    this.inFlight.set(key, now);
    this.maxInFlight.set(key, Math.max(this.maxInFlight.get(key) ?? 0, now));
    this.overallInFlight += 1;
    this.overallMax = Math.max(this.overallMax, this.overallInFlight);
  }

  private leave(key: string): void {
    this.inFlight.set(key, (this.inFlight.get(key) ?? 1) - 1);
    this.overallInFlight -= 1;
  }
}
