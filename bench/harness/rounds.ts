/** One round of a ratio scenario: each side measured once. */
export interface RoundRates {
  baseline: number;
  project: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Measures the baseline and the project `rounds` times, alternating (B P B P ...), and compares
 * the medians of each side. On a shared 2-core machine a burst of other work moves a single
 * measurement by 10-20%; alternating puts such a burst in one round instead of on one side, and
 * the median leaves that round out. Every round is reported (`rounds` in the results JSON).
 */
export async function measureRounds(
  rounds: number,
  round: (index: number) => Promise<RoundRates>,
): Promise<RoundRates & { rounds: RoundRates[] }> {
  const measured: RoundRates[] = [];
  for (let index = 0; index < rounds; index++) measured.push(await round(index));
  return { baseline: median(measured.map((r) => r.baseline)), project: median(measured.map((r) => r.project)), rounds: measured };
}
