import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

export type AppName = 'api' | 'worker';

export interface AppProcessOptions {
  env: NodeJS.ProcessEnv;
  /** URL polled until it answers 2xx, e.g. http://127.0.0.1:PORT/health/live. */
  readyUrl: string;
  readyTimeoutMs?: number;
  /** Collect the child's output (shown when it fails to start). */
  echo?: boolean;
}

/**
 * An app started exactly as production starts it (`npm run start:api` / `start:worker`), in its own
 * process group so a test can SIGKILL the real Node process, not just npm.
 */
export class AppProcess {
  private child?: ChildProcess;
  private output = '';
  private exited?: Promise<number | null>;

  constructor(
    readonly name: AppName,
    private readonly options: AppProcessOptions,
  ) {}

  async start(): Promise<this> {
    this.output = '';
    const child = spawn('npm', ['run', '-s', `start:${this.name}`], {
      cwd: ROOT,
      env: { ...process.env, ...this.options.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
      if (this.options.echo) process.stderr.write(chunk);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    await this.waitUntilReady();
    return this;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get logs(): string {
    return this.output;
  }

  /**
   * Stops the app and resolves with the exit code npm reports (null if killed by a signal).
   * SIGKILL goes to the whole process group (a crash: nothing survives). Other signals go only to
   * the app's own Node process (the leaf of npm -> sh -> tsx -> node), as an orchestrator would
   * signal it; the wrappers then pass its exit code up instead of dying of the signal themselves.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<number | null> {
    if (!this.child?.pid || this.child.exitCode !== null || this.child.signalCode !== null) return this.child?.exitCode ?? null;
    try {
      if (signal === 'SIGKILL') process.kill(-this.child.pid, signal);
      else for (const pid of leafProcesses(this.child.pid)) process.kill(pid, signal);
    } catch {
      return this.child.exitCode;
    }
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
    const result = await Promise.race([this.exited!, timeout]);
    if (result === 'timeout') {
      process.kill(-this.child.pid, 'SIGKILL');
      await this.exited;
      throw new Error(`${this.name} did not exit within ${timeoutMs} ms after ${signal}`);
    }
    return result;
  }

  /** SIGKILL: a crash, no shutdown hooks run. */
  kill(): Promise<number | null> {
    return this.stop('SIGKILL');
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined) break;
      try {
        const response = await fetch(this.options.readyUrl, { signal: AbortSignal.timeout(1000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await this.stop('SIGKILL').catch(() => undefined);
    throw new Error(`${this.name} did not become ready at ${this.options.readyUrl}\n${this.output}`);
  }
}

/** Ports this process handed out: concurrent callers (two APIs started at once) never get the same one. */
const handedOut = new Set<number>();

/** A free TCP port on 127.0.0.1, never one this process handed out before. */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/**
 * The Node processes of the group led by `leader` that have no Node child of their own in it: the
 * app itself under npm -> sh -> tsx. Other programs are left out: tsx may keep an esbuild service
 * running as a child of the app or of its launcher, and a signal meant for the app must not go to
 * it instead (the app would then never shut down).
 */
function leafProcesses(leader: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,ppid=,comm=', '-g', String(leader)], { encoding: 'utf8' });
  const rows = out
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, , command]) => command === 'node')
    .map(([pid, ppid]) => [Number(pid), Number(ppid)] as const);
  const parents = new Set(rows.map(([, ppid]) => ppid));
  const leaves = rows.filter(([pid]) => !parents.has(pid)).map(([pid]) => pid);
  return leaves.length > 0 ? leaves : [leader];
}
