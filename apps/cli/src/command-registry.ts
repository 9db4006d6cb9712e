import type { CliCommand } from './cli-command';
import { correctCommand } from './commands/correct.command';
import { correctionsCommand } from './commands/corrections.command';
import { creditsCommand, settleCreditCommand } from './commands/credits.command';
import { createPlanCommand } from './commands/create-plan.command';
import { createTenantCommand } from './commands/create-tenant.command';
import { deadLettersCommand } from './commands/dead-letters.command';
import { holdsCommand } from './commands/holds.command';
import { migrateCommand, migrateRevertCommand } from './commands/migrate.command';
import { reconcileCommand } from './commands/reconcile.command';
import { replayDeadLettersCommand } from './commands/replay-dead-letters.command';
import { reportOverageCommand } from './commands/report-overage.command';
import { resetCommand } from './commands/reset.command';
import { resolveHoldCommand } from './commands/resolve-hold.command';
import { stripeReconcileCommand } from './commands/stripe-reconcile.command';
import { tokenCommand } from './commands/token.command';
import { usageCommand } from './commands/usage.command';

/** Every CLI command; a name maps to exactly one command (checked at start-up). */
export const CLI_COMMANDS: readonly CliCommand[] = [
  createPlanCommand,
  createTenantCommand,
  usageCommand,
  resetCommand,
  reconcileCommand,
  reportOverageCommand,
  stripeReconcileCommand,
  deadLettersCommand,
  replayDeadLettersCommand,
  holdsCommand,
  resolveHoldCommand,
  correctCommand,
  correctionsCommand,
  creditsCommand,
  settleCreditCommand,
  tokenCommand,
  migrateCommand,
  migrateRevertCommand,
];
