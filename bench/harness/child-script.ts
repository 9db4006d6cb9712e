import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { ROOT } from './bench-environment';

const TSX_CLI = require.resolve('tsx/cli');

/**
 * A baseline in its own Node process (as the project's api and worker are in theirs), started
 * with tsx; resolves once it prints `ready`. `stop()` sends SIGTERM and waits for the exit.
 */
export class ChildScript {
  private child?: ChildProcess;
  private output = '';

  constructor(
    private readonly script: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  async start(timeoutMs = 30_000): Promise<this> {
    const child = spawn(process.execPath, [TSX_CLI, this.script], {
      cwd: ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.script} not ready within ${timeoutMs} ms\n${this.output}`)), timeoutMs);
      const onData = (chunk: Buffer): void => {
        this.output = (this.output + chunk.toString()).slice(-10_000);
        if (/^ready\b/m.test(this.output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${this.script} exited with ${code}\n${this.output}`));
      });
    });
    return this;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
