import { parseTrackEvent } from '@metering/usage';

const event = { agent: 'inbox', action_type: 'email_processed', resource_id: 'msg-1' };
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
