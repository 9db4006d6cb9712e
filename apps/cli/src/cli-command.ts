import type { ParseArgsConfig } from 'node:util';
import type { DataSource } from 'typeorm';
import type { Clock, Logger } from '@metering/platform';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
/** Option values as `parseArgs` gives them; `multiple: true` options are arrays. */
export type ParsedOptions = Record<string, string | boolean | string[] | undefined>;

/** What a command may use; each resource is opened on first use and closed by the entry point. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  clock: Clock;
  logger: Logger;
  dataSource(): Promise<DataSource>;
  redisUrl(): Promise<string>;
  /** True when stdout is a terminal (progress bars are drawn only then). */
  interactive: boolean;
}

/** A command's result: `json` is printed with --json, `text` otherwise. */
export interface CliOutput {
  text: string;
  json: unknown;
}

export interface CliCommand {
  name: string;
  summary: string;
  /** Usage line(s) after `npm run usage -- `. */
  usage: string;
  options: OptionSpec;
  run(options: ParsedOptions, context: CliContext): Promise<CliOutput>;
}

/** Wrong or missing arguments: printed with the command's usage, exit code 2. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

export function requireString(options: ParsedOptions, name: string): string {
  const value = options[name];
  if (typeof value !== 'string' || value.trim() === '') throw new CliUsageError(`--${name} is required`);
  return value;
}

export function parseJsonOption(options: ParsedOptions, name: string): unknown {
  const raw = requireString(options, name);
  try {
    return JSON.parse(raw);
  } catch {
    throw new CliUsageError(`--${name} must be valid JSON, e.g. '{"emails_per_month":1000}'`);
  }
}
