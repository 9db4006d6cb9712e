import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import { createMeteringDataSource } from '@metering/billing';
import { createLogger, systemClock } from '@metering/platform';
import { UsageError } from '@metering/usage';
import { CliUsageError } from './cli-command';
import type { CliCommand, CliContext, ParsedOptions } from './cli-command';
import { CLI_COMMANDS } from './command-registry';
import { cliDatabaseUrl, cliRedisUrl } from './local-services';
import type { ServiceUrl } from './local-services';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  interactive: boolean;
}

function overview(): string {
  const width = Math.max(...CLI_COMMANDS.map((c) => c.name.length));
  return [
    'Usage: npm run usage -- <command> [options] [--json]',
    '',
    'Commands:',
    ...CLI_COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `npm run usage -- <command> --help` for a command\'s options.',
  ].join('\n');
}

function help(command: CliCommand): string {
  return `${command.summary}\n\nUsage: npm run usage -- ${command.usage}\n  --json   print the result as JSON`;
}

/** Runs one CLI invocation and returns its exit code; resources it opened are closed. */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const names = new Set(CLI_COMMANDS.map((c) => c.name));
  if (names.size !== CLI_COMMANDS.length) throw new Error('two CLI commands share a name');

  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(overview());
    return name ? EXIT_OK : EXIT_USAGE;
  }
  const command = CLI_COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`Unknown command "${name}".\n\n${overview()}`);
    return EXIT_USAGE;
  }

  let options: ParsedOptions;
  try {
    const parsed = parseArgs({
      args: [...rest],
      options: { ...command.options, help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } },
      allowPositionals: false,
      strict: true,
    });
    options = parsed.values as ParsedOptions;
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${help(command)}`);
    return EXIT_USAGE;
  }
  if (options.help) {
    io.stdout(help(command));
    return EXIT_OK;
  }

  let database: ServiceUrl | undefined;
  let redis: ServiceUrl | undefined;
  let dataSource: DataSource | undefined;
  const logger = createLogger({ level: env.LOG_LEVEL ?? 'warn', json: false, service: 'cli' });
  const context: CliContext = {
    env,
    clock: systemClock,
    logger,
    interactive: io.interactive,
    dataSource: async () => {
      if (!dataSource) {
        database ??= await cliDatabaseUrl(env);
        dataSource = createMeteringDataSource(database.url, 4, 'usage-cli');
        await dataSource.initialize();
      }
      return dataSource;
    },
    redisUrl: async () => {
      redis ??= await cliRedisUrl(env);
      return redis.url;
    },
  };

  try {
    const output = await command.run(options, context);
    io.stdout(options.json ? JSON.stringify(output.json, null, 2) : output.text);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.stderr(`${error.message}\n\n${help(command)}`);
      return EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      const detail = error.fieldErrors.length > 0 ? error.fieldErrors.map((e) => `  ${e.field}: ${e.message}`).join('\n') : `  ${error.message}`;
      io.stderr(`${command.name}: invalid input\n${detail}`);
      return EXIT_USAGE;
    }
    io.stderr(`${command.name} failed: ${(error as Error).message}`);
    return EXIT_FAILED;
  } finally {
    await dataSource?.destroy().catch(() => undefined);
    await redis?.stop();
    await database?.stop();
  }
}
