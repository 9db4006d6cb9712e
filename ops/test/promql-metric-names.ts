import { readFileSync } from 'node:fs';

/** Series Prometheus makes itself when it scrapes; no app exports them. */
export const PROMETHEUS_SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'ALERTS', 'ALERTS_FOR_STATE']);

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/**
 * The `expr` of every rule in a Prometheus rules file. Reads inline values and block scalars
 * (`expr: |`) by indentation, which is all our rules file uses; no YAML library is needed.
 */
export function ruleExpressions(rulesYaml: string): string[] {
  const lines = rulesYaml.split('\n');
  const expressions: string[] = [];
  lines.forEach((line, index) => {
    const match = /^(\s*)expr:\s*(.*)$/.exec(line);
    if (!match) return;
    const [, indent = '', value = ''] = match;
    if (!/^[|>][-+]?$/.test(value.trim())) {
      expressions.push(value.trim().replace(/^(['"])(.*)\1$/, '$2'));
      return;
    }
    const block: string[] = [];
    for (const next of lines.slice(index + 1)) {
      if (next.trim() !== '' && next.length - next.trimStart().length <= indent.length) break;
      block.push(next.trim());
    }
    expressions.push(block.join(' ').trim());
  });
  return expressions;
}

interface DashboardPanel {
  targets?: Array<{ expr?: string }>;
  panels?: DashboardPanel[];
}

/** The PromQL of every panel target in a Grafana dashboard JSON (rows included). */
export function dashboardExpressions(dashboardPath: string): string[] {
  const dashboard = JSON.parse(readFileSync(dashboardPath, 'utf8')) as DashboardPanel;
  const walk = (panels: DashboardPanel[] = []): string[] =>
    panels.flatMap((panel) => [
      ...(panel.targets ?? []).map((target) => target.expr ?? '').filter(Boolean),
      ...walk(panel.panels),
    ]);
  return walk(dashboard.panels);
}

/**
 * Metric names a PromQL expression selects: identifiers that are not functions, keywords,
 * label names (inside `{}` or `by (...)`), durations or Grafana variables.
 */
export function metricNames(expression: string): string[] {
  const stripped = expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+\S+/g, ' ')
    .replace(/\$\w+/g, ' ')
    .replace(/(^|[^\w:])\d+(\.\d+)?(e[+-]?\d+)?/gi, '$1 ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][\w:]*/g)) {
    const after = stripped.slice(match.index + match[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

/** `# TYPE name kind` lines of a Prometheus text exposition: name -> kind. */
export function exportedMetricTypes(exposition: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const match of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(match[1]!, match[2]!);
  return types;
}

/** Whether `name` is a series of an exported metric (histogram and summary series included). */
export function isExported(name: string, types: ReadonlyMap<string, string>): boolean {
  if (types.has(name)) return true;
  const series = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (!series) return false;
  const kind = types.get(series[1]!);
  return kind === 'histogram' || (kind === 'summary' && series[2] !== 'bucket');
}
