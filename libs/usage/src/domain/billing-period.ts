/** A half-open billing period [start, end), in UTC. */
export interface BillingPeriod {
  start: Date;
  end: Date;
}

function daysInMonth(year: number, monthIndex: number): number {
  return new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();
}

/**
 * The instant `months` months after the month of `from`, on `anchorDay` clamped to that month's
 * length (Jan 31 + 1 month = Feb 28/29; the next step goes back to Mar 31), keeping `from`'s time of day.
 */
export function addMonthsAnchored(from: Date, months: number, anchorDay: number): Date {
  const totalMonths = from.getUTCFullYear() * 12 + from.getUTCMonth() + months;
  const year = Math.floor(totalMonths / 12);
  const monthIndex = totalMonths - year * 12;
  const day = Math.min(anchorDay, daysInMonth(year, monthIndex));
  return new Date(
    Date.UTC(year, monthIndex, day, from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds(), from.getUTCMilliseconds()),
  );
}

/** The period that follows `period` for a subscription anchored on `anchorDay`. */
export function nextPeriod(period: BillingPeriod, anchorDay: number): BillingPeriod {
  return { start: period.end, end: addMonthsAnchored(period.start, 2, anchorDay) };
}

/**
 * The monthly period containing `instant`, for a subscription whose known period is `reference`
 * and whose anchor day is `anchorDay`. Walks month by month from the reference, so periods are
 * consistent with the ones roll-over produces.
 */
export function periodContaining(reference: BillingPeriod, anchorDay: number, instant: Date): BillingPeriod {
  const t = instant.getTime();
  if (t >= reference.start.getTime() && t < reference.end.getTime()) return reference;
  const monthsApart =
    (instant.getUTCFullYear() - reference.start.getUTCFullYear()) * 12 +
    (instant.getUTCMonth() - reference.start.getUTCMonth());
  // Start one month early and walk forward; at most a few steps.
  for (let k = monthsApart - 1; k <= monthsApart + 1; k++) {
    const start = addMonthsAnchored(reference.start, k, anchorDay);
    const end = addMonthsAnchored(reference.start, k + 1, anchorDay);
    if (t >= start.getTime() && t < end.getTime()) return { start, end };
  }
  throw new Error(`no billing period contains ${instant.toISOString()}`);
}

/** The calendar-month period containing `instant`, anchored on day 1 at 00:00 UTC. */
export function calendarMonthOf(instant: Date): BillingPeriod {
  const start = new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), 1));
  return { start, end: new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth() + 1, 1)) };
}
