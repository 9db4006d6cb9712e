import { DEFAULT_OCCURRED_AT_WINDOW, parseTrackEventInputs } from '@metering/usage';
import type { CounterChange, TrackEventInput, TrackResult, UsageTracker } from '@metering/usage';

/**
 * Records `inputs` as ONE group through the tracker's one entry point (`track`), parsed as the
 * producer parses them (the documented window, measured from `now`). Throws what refused the
 * group: the parser's ValidationFailedError, the first UsageError of a rejected group, or the
 * commit's error; so a test reads like a call that either counted or failed.
 */
export async function recordUsage(
  tracker: UsageTracker,
  inputs: readonly TrackEventInput[],
  now: Date = new Date(),
): Promise<{ results: TrackResult[]; counters: CounterChange[] }> {
  const events = parseTrackEventInputs(inputs, { now, window: DEFAULT_OCCURRED_AT_WINDOW });
  const { groups, counters } = await tracker.track([events]);
  const group = groups[0]!;
  if (group.status === 'rejected') throw group.errors[0]!.error;
  if (group.status === 'failed') throw group.error;
  return { results: group.results, counters };
}
