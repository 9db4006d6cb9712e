import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

/** One line of the suite's security table (docs/reliability.md, "Security"). */
export interface AttackRow {
  attack: string;
  expected: string;
  observed: string;
  /** What the attack changed in Postgres or Redis; `none` is the only passing value. */
  dataChanged: string;
}

/** Where this run's attack rows go, read by fault-table.reporter.js at the end of the run. */
export function securityReportFile(): string {
  const runId = process.env.TEST_RUN_ID;
  if (!runId) throw new Error('TEST_RUN_ID is not set: run through jest');
  return `${tmpdir()}/metering-security-${runId}.jsonl`;
}

/**
 * Records an attack's row for the table and asserts it: the answer observed is the one expected
 * and the attack changed no data.
 */
export function recordAttack(row: AttackRow): void {
  appendFileSync(securityReportFile(), `${JSON.stringify({ ...row, result: row.observed === row.expected && row.dataChanged === 'none' ? 'pass' : 'FAIL' })}\n`);
  expect({ attack: row.attack, observed: row.observed, dataChanged: row.dataChanged }).toEqual({
    attack: row.attack,
    observed: row.expected,
    dataChanged: 'none',
  });
}
