/**
 * The batcher's commits in flight, with the real tracker on the test database: while
 * COMMITS_IN_FLIGHT commits run, what arrives waits and goes as one larger commit (never more
 * than MAX_COMMIT_EVENTS events), and every event is counted once.
 */
import { createLogger } from '@metering/platform';
import { counterValue, seedPlan, seedTenant, useTestDatabase } from '@metering/testing';
import { ActionType, AgentType, DEFAULT_OCCURRED_AT_WINDOW, UsageTracker, parseTrackEventInputs } from '@metering/usage';
import type { UsageTracker as Tracker } from '@metering/usage';
import { COMMITS_IN_FLIGHT, MAX_COMMIT_EVENTS, TrackEventBatcher } from '../src/tracking/track-event-batcher';

const db = useTestDatabase();
const logger = createLogger({ level: 'error', json: true, service: 'batcher-test' });

it('holds what arrives while its commits are out, and sends it as one commit when one finishes', async () => {
  const plan = await seedPlan(db.current.dataSource);
  const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id });
  const real = new UsageTracker(db.current.dataSource, { logger });
  // The real tracker, with each commit's group count recorded and the first ones held at a gate.
  const commits: number[] = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const tracker = {
    track: async (...args: Parameters<Tracker['track']>) => {
      commits.push(args[0].length);
      if (commits.length <= COMMITS_IN_FLIGHT) await gate;
      return real.track(...args);
    },
  } as unknown as Tracker;
  const batcher = new TrackEventBatcher({ tracker, logger, batchSize: 10, batchWaitMs: 5 });
  const job = (key: string) =>
    batcher.submit(parseTrackEventInputs([{ tenantId, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: key, idempotencyKey: key }], { now: new Date(), window: DEFAULT_OCCURRED_AT_WINDOW }), Date.now());

  const held = Array.from({ length: COMMITS_IN_FLIGHT * 10 }, (_, i) => job(`held-${i}`));
  expect(commits).toEqual(Array.from({ length: COMMITS_IN_FLIGHT }, () => 10)); // both slots taken
  const waiting = Array.from({ length: MAX_COMMIT_EVENTS + 500 }, (_, i) => job(`waiting-${i}`));
  await new Promise((resolve) => setTimeout(resolve, 50)); // far past the batch wait
  expect(commits).toHaveLength(COMMITS_IN_FLIGHT); // nothing more sent while both are out

  open();
  const results = await Promise.all([...held, ...waiting]);
  expect(results.every((result) => result.recorded === 1)).toBe(true);
  // What waited went as the largest commits allowed, the rest right after.
  expect(commits.slice(COMMITS_IN_FLIGHT)).toEqual([MAX_COMMIT_EVENTS, 500]);
  expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(COMMITS_IN_FLIGHT * 10 + MAX_COMMIT_EVENTS + 500);
});
