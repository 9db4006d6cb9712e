import type { Logger } from '../logging/logger';

/** Order in which resources close: stop taking work first, release storage last. */
export const SHUTDOWN_PHASES = ['http', 'workers', 'queues', 'connections'] as const;
export type ShutdownPhase = (typeof SHUTDOWN_PHASES)[number];

interface Hook {
  name: string;
  phase: ShutdownPhase;
  close: () => Promise<unknown>;
}

/**
 * Closes everything a process opened, phase by phase, within one deadline. A hook that throws is
 * logged and the rest still run; past the deadline the process exits non-zero.
 */
export class ShutdownManager {
  private readonly hooks: Hook[] = [];
  private running?: Promise<number>;

  constructor(
    private readonly logger: Logger,
    private readonly deadlineMs: number,
    private readonly exit: (code: number) => void = (code) => process.exit(code),
  ) {}

  register(name: string, phase: ShutdownPhase, close: () => Promise<unknown>): void {
    this.hooks.push({ name, phase, close });
  }

  /**
   * Installs SIGTERM and SIGINT handlers that shut down and exit. A repeated signal (the whole
   * process group signalled, plus a wrapper forwarding it) must not kill the process mid-shutdown,
   * so the handlers stay installed and later signals join the shutdown already running.
   */
  listen(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        if (this.isShuttingDown) return;
        void this.shutdown(signal).then((code) => this.exit(code));
      });
    }
  }

  get isShuttingDown(): boolean {
    return this.running !== undefined;
  }

  /** Runs every hook once; later calls return the same result. Resolves with the exit code. */
  shutdown(reason: string): Promise<number> {
    this.running ??= this.run(reason);
    return this.running;
  }

  private async run(reason: string): Promise<number> {
    const started = Date.now();
    this.logger.info('shutting down', { reason, deadlineMs: this.deadlineMs });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.deadlineMs);
      timer.unref();
    });
    const outcome = await Promise.race([this.closeAll().then(() => 'done' as const), deadline]);
    if (timer) clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.error('shutdown deadline exceeded', { deadlineMs: this.deadlineMs });
      return 1;
    }
    this.logger.info('shutdown complete', { ms: Date.now() - started });
    return 0;
  }

  private async closeAll(): Promise<void> {
    for (const phase of SHUTDOWN_PHASES) {
      const hooks = this.hooks.filter((hook) => hook.phase === phase).reverse();
      await Promise.all(
        hooks.map(async (hook) => {
          try {
            await hook.close();
          } catch (error) {
            this.logger.error('shutdown hook failed', { hook: hook.name, error: String(error) });
          }
        }),
      );
    }
  }
}
