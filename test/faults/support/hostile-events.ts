import fc from 'fast-check';

/** A valid wire event; the hostile arbitraries break exactly one part of one. */
export const validEvent = (key: string): Record<string, unknown> => ({
  agent: 'inbox',
  action_type: 'email_processed',
  resource_id: key,
  quantity: 1,
  idempotency_key: key,
});

const SQL_LIKE = ["'; DROP TABLE usage_events; --", "' OR '1'='1", 'inbox\'); DELETE FROM usage_counters; --', '$1::uuid', '\\x00\\x27'];
const notAString = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
const notAPositiveInteger = fc.oneof(
  fc.integer({ max: 0 }),
  fc.integer({ min: 1_000_001 }),
  fc.constantFrom(1e21, 1e308, Number.MAX_SAFE_INTEGER + 2, -0.5, 0.999999, 1.5),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n)),
  fc.string().map((s) => `${s}1`),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.object({ maxDepth: 1 }),
);
/** Nested `depth` levels deep: `{ "a": { "a": ... } }`. */
const nested = (depth: number): Record<string, unknown> => {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};
const unknownAgent = fc.string().filter((s) => !['inbox', 'invoice', 'meeting'].includes(s));
const badText = fc.oneof(
  fc.constant(''),
  fc.string({ minLength: 256, maxLength: 400 }),
  fc.string().map((s) => `${s}\u0000x`),
  fc.string().map((s) => `x${s}\ud800`),
  notAString,
);
const badDate = fc.oneof(
  fc.constantFrom('yesterday', '2026-13-01T00:00:00Z', '2026-02-30', '1999-01-01T00:00:00Z', '2999-01-01T00:00:00Z', '0', 'NaN', '2026-11-29 10:00'),
  fc.string(),
  fc.integer(),
  fc.date({ min: new Date('1970-01-01'), max: new Date('2020-01-01') }).map((d) => d.toISOString()),
);
const badMetadata = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.array(fc.anything(), { maxLength: 3 }),
  // Up to 1,000 levels: past about 4,000, JSON.stringify in the test itself overflows V8's stack
  // (seen once in CI; fast-check rarely draws that high). Far deeper bodies are sent as raw text
  // by ingest-abuse's extreme-nesting test.
  fc.integer({ min: 9, max: 1000 }).map(nested),
  fc.string({ minLength: 4100, maxLength: 6000 }).map((s) => ({ note: s })),
  fc.string().map((s) => ({ note: `${s}\u0000` })),
  // Postgres' jsonb refuses unpaired surrogates: accepting one would acknowledge an event that
  // can never be stored.
  fc.string().map((s) => ({ note: `${s}\udc00` })),
  fc.string().map((s) => ({ [`k${s}\ud800`]: 1 })),
  fc.string().map((s) => ({ list: [1, `${s}\ud83d`] })),
);

/** One field of a valid event replaced with something no field check may accept. */
export const hostileEvent = (key: string): fc.Arbitrary<Record<string, unknown>> =>
  fc.oneof(
    unknownAgent.map((agent) => ({ ...validEvent(key), agent })),
    notAString.map((agent) => ({ ...validEvent(key), agent })),
    fc.oneof(fc.string(), fc.constantFrom('invoice_detected', 'meeting_prep'), notAString).map((action) => ({ ...validEvent(key), action_type: action })),
    badText.map((resource) => ({ ...validEvent(key), resource_id: resource })),
    fc.oneof(fc.constant(''), fc.string({ minLength: 201, maxLength: 300 }), fc.string().map((s) => `${s}\u0000`), fc.integer(), fc.boolean()).map(
      (k) => ({ ...validEvent(key), idempotency_key: k }),
    ),
    notAPositiveInteger.map((quantity) => ({ ...validEvent(key), quantity })),
    badDate.map((occurredAt) => ({ ...validEvent(key), occurred_at: occurredAt })),
    badMetadata.map((metadata) => ({ ...validEvent(key), metadata })),
    fc.constantFrom(...SQL_LIKE).map((sql) => ({ ...validEvent(key), agent: sql })),
    fc.string({ minLength: 1 }).filter((field) => !(field in validEvent(key)) && field !== '__proto__').map((field) => ({ ...validEvent(key), [field]: 1 })),
    fc.uuid().map((tenant) => ({ ...validEvent(key), tenant_id: tenant })),
    fc.constantFrom('agent', 'action_type', 'resource_id').map((field) => {
      const event = validEvent(key);
      delete event[field];
      return event;
    }),
  );

/** A whole request body that must be refused: bad top-level shapes, and batches with one bad event. */
export const hostileBody = (key: string): fc.Arbitrary<unknown> =>
  fc.oneof(
    hostileEvent(key),
    fc.tuple(fc.array(fc.constant(null), { maxLength: 5 }), hostileEvent(key), fc.nat({ max: 5 })).map(([pad, bad, at]) => {
      const events: unknown[] = pad.map((_, i) => validEvent(`${key}-${i}`));
      events.splice(Math.min(at, events.length), 0, bad);
      return { events };
    }),
    fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.anything(), { maxLength: 3 }), fc.boolean()),
    fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.object()).map((events) => ({ events })),
    fc.constant({ events: [] }),
    fc.uuid().map((tenant) => ({ tenant_id: tenant, events: [validEvent(key)] })),
    fc.constant({ events: Array.from({ length: 1001 }, (_, i) => validEvent(`${key}-${i}`)) }),
  );

/** Text that is not JSON at all (sent raw with a JSON content type). */
export const malformedJson = fc.oneof(
  fc.constantFrom('{', '{"agent":', '[1,2', "{'agent':'inbox'}", '{"a":1}}', 'NaN', '\u0000', '{"quantity": 1e}', `${'['.repeat(100_000)}`),
  fc.string().map((s) => `{${s}`),
);

/** Strings a client may legitimately send: any well-formed Unicode without NUL, SQL-looking text included. */
export const storableText = (maxLength: number): fc.Arbitrary<string> =>
  fc
    .oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength }), fc.string({ unit: 'binary', minLength: 1, maxLength }), fc.constantFrom(...SQL_LIKE))
    .filter((s) => s.length >= 1 && s.length <= maxLength && !s.includes('\u0000') && s.isWellFormed());
