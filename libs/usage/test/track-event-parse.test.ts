import fc from 'fast-check';
import { DEFAULT_OCCURRED_AT_WINDOW, NO_METADATA, ValidationFailedError, deriveIdempotencyKey, parseWireEvent, parseWireEvents, toWireEvent } from '@metering/usage';
import type { EventParseContext } from '@metering/usage';
import { parseWireEventFully } from '../src/events/parse-event';

const TENANT = '3f1b2c4d-1111-4222-8333-123456789abc';
const NOW = new Date('2026-11-29T10:02:00Z');
const context: EventParseContext = { now: NOW, window: DEFAULT_OCCURRED_AT_WINDOW };
const event = { agent: 'inbox', action_type: 'email_processed', resource_id: 'msg-1' };
/** `event` in memory, once parsed. */
const parsedEvent = { tenantId: TENANT, agent: 'inbox', actionType: 'email_processed', resourceId: 'msg-1' };
const parseTrackEvent = (raw: unknown, prefix = '') => parseWireEvent(TENANT, raw, prefix, context);
const parseTrackEventFully = (raw: unknown, prefix = '') => parseWireEventFully(TENANT, raw, prefix, context);
const deep = (levels: number): unknown => JSON.parse(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);

describe('parseTrackEvent', () => {
  it('refuses metadata with an unpaired surrogate in a value or a key (jsonb cannot store it)', () => {
    for (const metadata of [{ note: 'a\udc00' }, { ['k\ud800']: 1 }, { list: [1, 'x\ud83d'] }]) {
      expect(parseTrackEvent({ ...event, metadata })).toEqual({ ok: false, errors: [{ field: 'metadata', message: 'metadata must be valid Unicode' }] });
    }
  });

  it('refuses NUL characters in metadata but accepts the literal text \\u0000', () => {
    expect(parseTrackEvent({ ...event, metadata: { note: 'a\u0000b' } })).toMatchObject({ ok: false, errors: [{ message: 'metadata must not contain NUL characters' }] });
    expect(parseTrackEvent({ ...event, metadata: { note: 'C:\\u0000' } })).toMatchObject({ ok: true, event: { metadata: { note: 'C:\\u0000' } } });
  });

  it('keeps metadata exactly as sent, keys such as constructor included', () => {
    const metadata = JSON.parse('{"constructor":null,"__proto__":{"x":1},"n":[1,{"b":"c"}]}') as Record<string, unknown>;
    const parsed = parseTrackEvent({ ...event, metadata });
    expect(parsed.ok && parsed.event.metadata).toBe(metadata);
  });

  it('answers with field errors, never a stack overflow, for values nested 100,000 levels deep', () => {
    expect(parseTrackEvent({ ...event, metadata: deep(100_000) })).toEqual({
      ok: false,
      errors: [{ field: 'metadata', message: 'metadata must not nest deeper than 8 levels' }],
    });
    expect(parseTrackEvent({ ...event, resource_id: deep(100_000) })).toMatchObject({ ok: false, errors: [{ field: 'resource_id' }, { field: 'resource_id' }] });
  });
});

describe('parseTrackEvent fast path', () => {
  // Values near every rule's edges: lengths, Unicode that class-validator counts differently,
  // NUL, numbers that are not integers, dates that are almost ISO-8601, unknown keys.
  const text = fc.oneof(
    fc.string({ maxLength: 4 }),
    fc.string({ unit: 'grapheme', maxLength: 3 }),
    fc.string({ unit: 'binary', maxLength: 3 }),
    fc.constantFrom('', 'a', '\u0000', '\ufe0f', '\ufe0e', 'a\ufe0f', '\ud83d\ude00', '\ud800', 'x'.repeat(200), 'x'.repeat(201), 'x'.repeat(255), 'x'.repeat(256)),
    fc.integer({ min: 0, max: 300 }).map((n) => 'y'.repeat(n)),
  );
  const anyValue = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant({}), fc.constant([]));
  // Mostly plausible values, so that valid events (the fast path's acceptances) are common.
  const field = <T>(valid: fc.Arbitrary<T>) =>
    fc.option(fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: anyValue, weight: 1 }), { nil: undefined, freq: 3 });
  const pair = fc.oneof(
    { arbitrary: fc.constantFrom(['inbox', 'email_processed'], ['invoice', 'invoice_detected'], ['meeting', 'meeting_prep']), weight: 6 },
    { arbitrary: fc.tuple(fc.oneof(fc.constantFrom('inbox', 'Inbox', ''), anyValue), fc.oneof(fc.constantFrom('meeting_prep', 'email_sent'), anyValue)), weight: 1 },
  );
  const arbitraryEvent = fc
    .record(
      {
        pair,
        resource_id: fc.option(fc.oneof({ arbitrary: text, weight: 6 }, { arbitrary: anyValue, weight: 1 }), { nil: undefined, freq: 10 }),
        quantity: field(fc.oneof(fc.integer({ min: -2, max: 1_000_002 }), fc.constantFrom(1, 1.5, 1e6, 1e6 + 1, Number.NaN, Infinity))),
        idempotency_key: field(text),
        occurred_at: field(
          fc.oneof(
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
            // Inside the occurred_at window and around its edges.
            fc.integer({ min: -36 * 86_400, max: 400 }).map((s) => new Date(NOW.getTime() + s * 1000).toISOString()),
            fc.constantFrom('2026-11-29T10:00:00Z', '2026-11-29 10:00:00Z', '2026-02-30T10:00:00Z', '2026-11-29T10:00:00+01:00', '2026-11-29', 'yesterday'),
          ),
        ),
        metadata: field(fc.oneof(fc.dictionary(text, anyValue, { maxKeys: 3 }), fc.constant({ a: 'x\u0000' }), fc.constant({ b: '\udc00' }))),
        extra: fc.option(anyValue, { nil: undefined, freq: 10 }),
      },
      { requiredKeys: ['pair'] },
    )
    .map(({ pair: [agent, action_type], ...rest }) =>
      Object.fromEntries(Object.entries({ agent, action_type, ...rest }).filter(([, value]) => value !== undefined)),
    );

  it('accepts exactly what the full class-validator check accepts, with the same result', () => {
    let valid = 0;
    fc.assert(
      fc.property(arbitraryEvent, (event) => {
        const full = parseTrackEventFully(event, 'events[0].');
        if (full.ok) valid += 1;
        expect(parseTrackEvent(event, 'events[0].')).toEqual(full);
      }),
      { numRuns: 10_000 },
    );
    // Enough valid events that the fast path's acceptances were really compared.
    expect(valid).toBeGreaterThan(200);
  });

  it('takes the fast path for a plain event (and the full check agrees)', () => {
    const plain = { ...event, quantity: 3, idempotency_key: 'k-1', occurred_at: '2026-11-29T10:00:00.000Z', metadata: { thread: 't-9' } };
    expect(parseTrackEvent(plain)).toEqual({
      ok: true,
      event: {
        ...parsedEvent,
        quantity: 3,
        idempotencyKey: 'k-1',
        occurredAt: new Date('2026-11-29T10:00:00.000Z'),
        metadata: { thread: 't-9' },
      },
    });
    expect(parseTrackEventFully(plain)).toEqual(parseTrackEvent(plain));
  });
});

describe('parseWireEvent: the one parser of API, producer and worker', () => {
  it('makes a ValidEvent: lower-case tenant, derived key, quantity 1, the default occurred_at, no metadata', () => {
    const enqueuedAt = new Date('2026-11-29T10:00:00Z');
    const parsed = parseWireEvent(TENANT.toUpperCase(), event, '', { ...context, occurredAtDefault: enqueuedAt });
    expect(parsed).toEqual({
      ok: true,
      event: {
        ...parsedEvent,
        quantity: 1,
        idempotencyKey: deriveIdempotencyKey(TENANT, 'inbox', 'email_processed', 'msg-1'),
        occurredAt: enqueuedAt,
        metadata: NO_METADATA,
      },
    });
  });

  it('names the tenant and the occurred_at window with the batch prefix', () => {
    expect(parseWireEvent('tenant-1', event, 'events[2].', context)).toEqual({ ok: false, errors: [{ field: 'events[2].tenant_id', message: 'tenant_id must be a UUID' }] });
    expect(parseTrackEvent({ ...event, occurred_at: '2026-10-01T00:00:00Z' }, 'events[0].')).toEqual({
      ok: false,
      errors: [{ field: 'events[0].occurred_at', message: 'occurred_at is more than 35 days in the past' }],
    });
    expect(parseTrackEvent({ ...event, occurred_at: '2026-11-29T10:08:00Z' })).toEqual({
      ok: false,
      errors: [{ field: 'occurred_at', message: 'occurred_at is more than 300 seconds in the future' }],
    });
  });

  it('checks the default occurred_at against the window too (a job enqueued too long ago)', () => {
    const stale = { ...context, occurredAtDefault: new Date(NOW.getTime() - 36 * 86_400_000) };
    expect(parseWireEvent(TENANT, event, '', stale)).toMatchObject({ ok: false, errors: [{ field: 'occurred_at' }] });
  });

  it('rejects a batch with one ValidationFailedError naming every bad field by index', () => {
    const items = [
      { tenant_id: TENANT, event },
      { tenant_id: TENANT, event: { ...event, quantity: 0 } },
      { tenant_id: 'nope', event: { ...event, agent: 'robot' } },
    ];
    let error: unknown;
    try {
      parseWireEvents(items, context);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect((error as ValidationFailedError).fieldErrors).toEqual([
      { field: 'events[1].quantity', message: 'quantity must be at least 1' },
      { field: 'events[2].tenant_id', message: 'tenant_id must be a UUID' },
      { field: 'events[2].agent', message: 'agent must be one of inbox, invoice, meeting' },
    ]);
  });

  it('reads its own job data back as the same event (toWireEvent is the one mapping back)', () => {
    const enqueuedAt = new Date('2026-11-29T10:01:00Z');
    const [first, second] = parseWireEvents(
      [
        { tenant_id: TENANT, event: { ...event, quantity: 2, metadata: { thread: 't' } } },
        { tenant_id: TENANT, event: { ...event, resource_id: 'msg-2', occurred_at: '2026-11-29T09:00:00+01:00' } },
      ],
      { ...context, occurredAtDefault: enqueuedAt },
    );
    const wire = [first!, second!].map((e) => toWireEvent(e, { enqueuedAt: enqueuedAt.getTime() }));
    expect(wire[0]).not.toHaveProperty('occurred_at');
    expect(wire[1]).toMatchObject({ occurred_at: '2026-11-29T08:00:00.000Z', idempotency_key: second!.idempotencyKey });
    expect(wire[1]).not.toHaveProperty('metadata');
    const again = parseWireEvents(
      wire.map((w) => ({ tenant_id: TENANT, event: w })),
      { ...context, occurredAtDefault: enqueuedAt },
    );
    expect(again).toEqual([first, second]);
  });
});
