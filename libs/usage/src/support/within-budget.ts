/**
 * The value of `work`, or `fallback` when it fails or takes longer than `budgetMs` (then `onSkip`
 * runs, e.g. to count it). Ingest fails open this way on its Postgres reads: it needs only Redis,
 * and the worker checks the same things when it commits. A late `work` is left to finish; its
 * rejection, if any, is swallowed.
 */
export async function withinBudget<T>(work: Promise<T>, budgetMs: number, fallback: T, onSkip?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof LATE>((resolve) => {
    timer = setTimeout(() => resolve(LATE), budgetMs);
  });
  try {
    const result = await Promise.race([work, late]);
    if (result !== LATE) return result as T;
  } catch {
    // Postgres away: fall through to the fallback.
  } finally {
    clearTimeout(timer);
  }
  work.catch(() => undefined);
  onSkip?.();
  return fallback;
}

const LATE = Symbol('late');
