import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Latency percentiles in milliseconds. */
export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** One target of the issue, checked against this run's numbers. */
export interface TargetCheck {
  name: string;
  /** e.g. ">= 75% of baseline". */
  expected: string;
  /** e.g. "81%". */
  actual: string;
  pass: boolean;
}

/** What one scenario measured; written as is to bench/results/<timestamp>.json. */
export interface ScenarioResult {
  scenario: string;
  size: Record<string, number>;
  unit: string;
  baseline: { name: string; rate: number; latencyMs?: Latency };
  project: { rate: number; latencyMs?: Latency };
  /** project rate / baseline rate (the medians, when measured in rounds). */
  ratio: number;
  /** Each alternating round's rates, for the scenarios measured in rounds. */
  rounds?: Array<{ baseline: number; project: number }>;
  /** Other points measured beside the baseline, in the same unit, to read the project's rate by; no target. */
  references?: Array<{ name: string; rate: number }>;
  peakRssMb: { api: number; worker: number };
  /** CPU seconds the api and worker used during the scenario (baselines included when they ran there). */
  cpuSeconds: { api: number; worker: number };
  /** Every event counted exactly (counter sum == distinct events), or the scenario's own check. */
  correctness: { ok: boolean; detail: string };
  targets: TargetCheck[];
  durationSeconds: number;
}

export interface BenchRun {
  startedAt: string;
  size: string;
  machine: { cpus: number; node: string; platform: string };
  services: string[];
  results: ScenarioResult[];
}

const fmtRate = (rate: number): string => (rate >= 100 ? Math.round(rate).toLocaleString('en-US') : rate.toFixed(2));
const fmtLatency = (latency?: Latency): string =>
  latency ? `${latency.p50.toFixed(1)} / ${latency.p99.toFixed(1)}` : '-';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  const line = (row: string[]): string => `| ${row.map((cell, col) => cell.padEnd(widths[col]!)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

/** The results table (Markdown, so the README can show it as printed) and the target list. */
export function formatRun(run: BenchRun): string {
  const header = ['scenario', 'size', 'unit', 'baseline', 'project', 'ratio', 'p50 / p99 ms', 'api MB', 'worker MB', 'counted', 'targets'];
  const rows = run.results.map((r) => [
    r.scenario,
    Object.entries(r.size).map(([k, v]) => `${k}=${v.toLocaleString('en-US')}`).join(' '),
    r.unit,
    fmtRate(r.baseline.rate),
    fmtRate(r.project.rate),
    `${(r.ratio * 100).toFixed(0)}%`,
    fmtLatency(r.project.latencyMs),
    String(r.peakRssMb.api),
    String(r.peakRssMb.worker),
    r.correctness.ok ? 'exact' : 'WRONG',
    r.targets.every((t) => t.pass) ? 'PASS' : 'MISS',
  ]);
  const targets = run.results.flatMap((r) =>
    r.targets.map((t) => `${t.pass ? 'PASS' : 'MISS'}  ${r.scenario}: ${t.name} ${t.expected} (got ${t.actual})`),
  );
  const references = run.results.flatMap((r) =>
    (r.references ?? []).map((ref) => `INFO  ${r.scenario}: ${ref.name}: ${fmtRate(ref.rate)} ${r.unit} (the project ${(r.project.rate / ref.rate).toFixed(2)}x that)`),
  );
  const wrong = run.results.filter((r) => !r.correctness.ok).map((r) => `WRONG ${r.scenario}: ${r.correctness.detail}`);
  return [table([header, ...rows]), '', ...targets, ...references, ...wrong].join('\n');
}

/** Writes the run to `dir/<timestamp>.json`; returns the file path. */
export function writeRun(run: BenchRun, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${run.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
  return file;
}

/** Percentiles of samples in milliseconds (nearest rank). */
export function percentiles(samples: number[]): Latency {
  if (samples.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

/** A ">= x% of baseline" target. */
export function ratioTarget(name: string, ratio: number, minRatio: number): TargetCheck {
  return { name, expected: `>= ${Math.round(minRatio * 100)}% of baseline`, actual: `${(ratio * 100).toFixed(0)}%`, pass: ratio >= minRatio };
}

/** An "at most" target, e.g. peak RSS or a duration. */
export function maxTarget(name: string, value: number, limit: number, unit: string): TargetCheck {
  return { name, expected: `<= ${limit} ${unit}`, actual: `${Number(value.toFixed(1))} ${unit}`, pass: value <= limit };
}
