import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { LedgerOutcome } from './ledger-check';

/** One line of the suite's table. */
export interface ScenarioRow {
  scenario: string;
  sent: number;
  acknowledged: number;
  counted: number;
  lost: number;
  doubleCounted: number;
  result: 'pass' | 'FAIL';
}

/**
 * Where the rows of this run go: one JSON line per scenario, read by fault-table.reporter.js at the
 * end of the run (test files run in the jest process, the reporter in the same one).
 */
export function reportFile(): string {
  const runId = process.env.TEST_RUN_ID;
  if (!runId) throw new Error('TEST_RUN_ID is not set: run through jest');
  return `${tmpdir()}/metering-faults-${runId}.jsonl`;
}

/**
 * Records a scenario's row for the table and asserts the invariant: every acknowledged event is
 * stored and counted once (acknowledged == stored == counted, nothing lost, nothing double-counted).
 */
export function recordScenario(scenario: string, outcome: LedgerOutcome): void {
  const ok =
    outcome.lost === 0 &&
    outcome.doubleCounted === 0 &&
    outcome.acknowledged === outcome.stored &&
    outcome.stored === outcome.counted;
  const row: ScenarioRow = {
    scenario,
    sent: outcome.sent,
    acknowledged: outcome.acknowledged,
    counted: outcome.counted,
    lost: outcome.lost,
    doubleCounted: outcome.doubleCounted,
    result: ok ? 'pass' : 'FAIL',
  };
  appendFileSync(reportFile(), `${JSON.stringify(row)}\n`);
  expect({ scenario, lost: outcome.lost, doubleCounted: outcome.doubleCounted }).toEqual({ scenario, lost: 0, doubleCounted: 0 });
  expect({ scenario, acknowledged: outcome.acknowledged, stored: outcome.stored, counted: outcome.counted }).toEqual({
    scenario,
    acknowledged: outcome.acknowledged,
    stored: outcome.acknowledged,
    counted: outcome.acknowledged,
  });
}
