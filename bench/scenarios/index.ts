import type { Scenario } from '../harness/scenario';
import { checkScenario } from './check.scenario';
import { freshnessScenario } from './freshness.scenario';
import { historyScenario } from './history.scenario';
import { ingestBulkScenario } from './ingest-bulk.scenario';
import { ingestHttpScenario } from './ingest-http.scenario';
import { ingestSingleScenario } from './ingest-single.scenario';
import { reconcileScenario } from './reconcile.scenario';
import { scaleScenario } from './scale.scenario';
import { stripeReportScenario } from './stripe-report.scenario';
import { usageReadScenario } from './usage-read.scenario';

/** Every scenario, in run order: later ones reuse rates measured by earlier ones. */
export const SCENARIOS: readonly Scenario[] = [
  ingestSingleScenario,
  ingestBulkScenario,
  ingestHttpScenario,
  freshnessScenario,
  usageReadScenario,
  historyScenario,
  checkScenario,
  reconcileScenario,
  stripeReportScenario,
  scaleScenario,
];
