import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A process under test, started exactly as production starts it (`npm run start:api`, ...). */
export interface AppProcess {
  name: string;
  child: ChildProcess;
  /** Everything it wrote, for the failure message when it does not come up. */
  output(): string;
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `npm run <script>` in its own process group, so stopping it reaches npm's children too. */
export function startNpmScript(name: string, script: string, cwd: string, env: NodeJS.ProcessEnv): AppProcess {
  const child = spawn('npm', ['run', '-s', script], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: string[] = [];
  const keep = (data: Buffer): void => {
    chunks.push(data.toString());
    if (chunks.length > 400) chunks.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { name, child, output: () => chunks.join('') };
}

/** Resolves once `url` answers 200; fails with the process output if it exits or takes too long. */
export async function waitForHttpOk(app: AppProcess, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (app.child.exitCode !== null) throw new Error(`${app.name} exited (${app.child.exitCode}):\n${app.output()}`);
    const ok = await fetch(url).then((res) => res.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${app.name} did not answer ${url} within ${timeoutMs} ms:\n${app.output()}`);
}

/** SIGTERM to the whole group, SIGKILL if it has not exited within `graceMs`. */
export async function stopApp(app: AppProcess | undefined, graceMs = 15_000): Promise<void> {
  if (!app || app.child.exitCode !== null || app.child.signalCode !== null || app.child.pid === undefined) return;
  const pid = app.child.pid;
  const exited = new Promise<void>((resolve) => app.child.once('exit', () => resolve()));
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-pid, name);
    } catch {
      // The group is already gone.
    }
  };
  signal('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearTimeout(timer);
  signal('SIGKILL');
  app.child.stdout?.destroy();
  app.child.stderr?.destroy();
}
