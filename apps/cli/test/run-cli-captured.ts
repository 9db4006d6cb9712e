import { runCli } from '../src/run-cli';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process against `databaseUrl` (plus `env`), capturing what it prints. */
export async function runCliCaptured(databaseUrl: string, argv: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { ...process.env, DATABASE_URL: databaseUrl, ...env }, {
    stdout: (text) => (stdout += `${text}\n`),
    stderr: (text) => (stderr += `${text}\n`),
    interactive: false,
  });
  return { code, stdout, stderr };
}
