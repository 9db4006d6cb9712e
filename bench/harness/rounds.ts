/** One round of a ratio scenario: each side measured once. */
export interface RoundRates {
  baseline: number;
  project: number;
}

/**
 * The round whose ratio (project / baseline) is the median of all rounds' ratios; with an even
 * number of rounds, the lower of the two middle ones.
 */
export function medianRound<T extends RoundRates>(rounds: readonly T[]): T {
  const sorted = [...rounds].sort((a, b) => a.project / a.baseline - b.project / b.baseline);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * Measures the baseline and the project `rounds` times, alternating (B P B P ...), and reports the
 * round with the median ratio. Each round is a pair measured back to back, so a slow drift of the
 * machine's speed affects both sides of it alike, and the median leaves out a round in which a
 * burst of other work hit one side (on a shared 2-core machine such a burst moves a single
 * measurement by 10-20%). Every round is reported (`rounds` in the results JSON).
 */
export async function measureRounds(
  rounds: number,
  round: (index: number) => Promise<RoundRates>,
): Promise<RoundRates & { rounds: RoundRates[] }> {
  const measured: RoundRates[] = [];
  for (let index = 0; index < rounds; index++) measured.push(await round(index));
  const { baseline, project } = medianRound(measured);
  return { baseline, project, rounds: measured };
}
