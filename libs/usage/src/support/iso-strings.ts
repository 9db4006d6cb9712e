/**
 * toISOString, remembered per instant for one batch: a batch's events share a few periods and
 * occurrence times, so most of them cost a Map lookup instead of formatting a date.
 */
export function isoStrings(): (date: Date) => string {
  const seen = new Map<number, string>();
  return (date) => {
    const time = date.getTime();
    let iso = seen.get(time);
    if (iso === undefined) {
      iso = date.toISOString();
      seen.set(time, iso);
    }
    return iso;
  };
}
