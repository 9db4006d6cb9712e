import type { FieldError } from '../domain/usage-errors';

const NUL = '\u0000';

/**
 * Text class-validator's Length agrees with String#length on (it may count a surrogate pair as one
 * character and skip variation selectors: a shorter count, never a longer one, and never 0 for
 * text without selectors) and that Postgres can store: well-formed Unicode without NUL.
 */
export function plainText(value: unknown, maxLength: number): boolean {
  return (
    typeof value === 'string' &&
    value.length >= 1 &&
    value.length <= maxLength &&
    !value.includes(NUL) &&
    !value.includes('\uFE0E') &&
    !value.includes('\uFE0F') &&
    value.isWellFormed()
  );
}

/** Postgres cannot store NUL characters or unpaired surrogates; reject them here, not with a 500. */
export function textError(value: unknown, field: string): FieldError | null {
  if (typeof value !== 'string') return null;
  if (value.includes(NUL)) return { field, message: `${field.split('.').pop()} must not contain NUL characters` };
  if (!value.isWellFormed()) return { field, message: `${field.split('.').pop()} must be valid Unicode` };
  return null;
}

/**
 * Looks at every key and string value itself: the serialized text cannot tell, because
 * JSON.stringify escapes an unpaired surrogate (well-formed text that jsonb still refuses, so the
 * event would be acknowledged and never stored) and a literal backslash-u-0000 looks like a NUL.
 * Depth must be bounded first (metadataError's check).
 */
export function metadataTextError(metadata: unknown, field: string): FieldError | null {
  if (metadata === undefined || metadata === null || typeof metadata !== 'object') return null;
  const pending: unknown[] = [metadata];
  for (let value = pending.pop(); value !== undefined || pending.length > 0; value = pending.pop()) {
    const texts = typeof value === 'string' ? [value] : [];
    if (value !== null && typeof value === 'object') {
      texts.push(...Object.keys(value));
      pending.push(...Object.values(value));
    }
    for (const text of texts) {
      if (text.includes(NUL)) return { field, message: 'metadata must not contain NUL characters' };
      if (!text.isWellFormed()) return { field, message: 'metadata must be valid Unicode' };
    }
  }
  return null;
}
