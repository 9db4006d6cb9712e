import { DEFAULT_OCCURRED_AT_WINDOW, parseTrackEventInputs } from '@metering/usage';
import type { CounterChange, TrackEventInput, TrackResult, UsageTracker } from '@metering/usage';

/**
 * Records `inputs` as ONE group through the tracker's one entry point (`track`), parsed as the
 * producer parses them (the documented window, measured from `now`). Throws what refused the
 * group: the parser's ValidationFailedError, or the commit's error. Events that cannot be counted
 * come back `dead_lettered` with their dead letter (see deadLetterReasons).
 */
export async function recordUsage(
  tracker: UsageTracker,
  inputs: readonly TrackEventInput[],
  now: Date = new Date(),
): Promise<{ results: TrackResult[]; counters: CounterChange[] }> {
  const events = parseTrackEventInputs(inputs, { now, window: DEFAULT_OCCURRED_AT_WINDOW });
  const { groups, counters } = await tracker.track([events]);
  const group = groups[0]!;
  if (group.status === 'failed') throw group.error;
  return { results: group.results, counters };
}

/** The dead-letter reason of each result (null: counted or duplicate), to assert what became of events. */
export function deadLetterReasons(results: readonly TrackResult[]): Array<string | null> {
  return results.map((result) => result.deadLetter?.reason ?? null);
}
