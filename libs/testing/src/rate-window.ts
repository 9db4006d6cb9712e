/**
 * The per-tenant and per-IP limits count in fixed minutes of the wall clock. A test that sends N
 * requests and expects exactly `limit` of them through must send them all inside one minute:
 * this waits, when fewer than `seconds` are left of the current minute, until the next one has
 * begun. Processes under test read the real clock, so it cannot be injected there.
 */
export async function awayFromMinuteEnd(seconds = 20): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 60_000 - seconds * 1000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 250));
}
