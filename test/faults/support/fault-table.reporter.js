/**
 * Jest reporter of the fault suite: after the run, prints one table of every scenario (events
 * sent, acknowledged, counted, lost, double-counted, result) from the rows the tests recorded
 * (support/fault-report.ts), and fails the run if any row lost or double-counted an event.
 */
const { existsSync, readFileSync, rmSync } = require('node:fs');
const os = require('node:os');

const COLUMNS = [
  ['scenario', 'scenario'],
  ['sent', 'events sent'],
  ['acknowledged', 'acknowledged'],
  ['counted', 'counted'],
  ['lost', 'lost'],
  ['doubleCounted', 'double-counted'],
  ['result', 'result'],
];

const SECURITY_COLUMNS = [
  ['attack', 'attack'],
  ['expected', 'expected answer'],
  ['observed', 'observed answer'],
  ['dataChanged', 'data changed'],
  ['result', 'result'],
];

/** Reads and removes a run's JSON-lines file; [] when the run wrote none. */
function takeRows(file) {
  if (!existsSync(file)) return [];
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  rmSync(file, { force: true });
  return rows;
}

/** The rows as a Markdown table (also what docs/reliability.md records). */
function formatTable(rows, columns = COLUMNS) {
  const COLUMNS = columns;
  const lines = [COLUMNS.map(([, title]) => title), COLUMNS.map(() => '---')];
  for (const row of rows) lines.push(COLUMNS.map(([key]) => String(row[key])));
  const widths = COLUMNS.map((_, i) => Math.max(...lines.map((cells) => cells[i].length)));
  return lines
    .map((cells, index) =>
      `| ${cells.map((cell, i) => (index === 1 ? '-'.repeat(widths[i]) : i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`,
    )
    .join('\n');
}

class FaultTableReporter {
  constructor() {
    this.error = undefined;
  }

  onRunComplete() {
    if (!process.env.TEST_RUN_ID) return;
    const rows = takeRows(`${os.tmpdir()}/metering-faults-${process.env.TEST_RUN_ID}.jsonl`);
    const attacks = takeRows(`${os.tmpdir()}/metering-security-${process.env.TEST_RUN_ID}.jsonl`);
    const problems = [];
    if (rows.length > 0) {
      process.stdout.write(`\nFault suite: every acknowledged event counted exactly once\n\n${formatTable(rows)}\n\n`);
      const broken = rows.filter((row) => row.lost !== 0 || row.doubleCounted !== 0 || row.result !== 'pass');
      if (broken.length > 0) problems.push(`${broken.map((row) => row.scenario).join(', ')} lost or double-counted events`);
    }
    if (attacks.length > 0) {
      process.stdout.write(`\nSecurity: every attack refused as expected, no data changed\n\n${formatTable(attacks, SECURITY_COLUMNS)}\n\n`);
      const broken = attacks.filter((row) => row.result !== 'pass');
      if (broken.length > 0) problems.push(`${broken.map((row) => row.attack).join(', ')} not answered as expected or changed data`);
    }
    if (problems.length > 0) this.error = new Error(`fault suite: ${problems.join('; ')}`);
  }

  getLastError() {
    return this.error;
  }
}

module.exports = FaultTableReporter;
module.exports.formatTable = formatTable;
