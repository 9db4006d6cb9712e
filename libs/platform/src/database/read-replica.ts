import { Client } from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';
import type { Logger } from '../logging/logger';
import { counter, gauge } from '../metrics/registry';
import { postgresServerName } from './postgres-url';
import { PrimaryWalHistory } from './replica-lag';
import type { ReplicaLag } from './replica-lag';

// Labelled by the replica's host:port/database so nothing is exported by a process without one
// (an unlabelled gauge would read 0, "down", everywhere) and an alert says which replica it means.
const lagSeconds = gauge({
  name: 'usage_db_replica_lag_seconds',
  help: "How far the read replica's replay is behind the primary's WAL (absent while it cannot be measured)",
  labelNames: ['replica'],
});
const replicaUp = gauge({
  name: 'usage_db_replica_up',
  help: 'Whether the read replica answered the last check as a standby in recovery (1) or not (0)',
  labelNames: ['replica'],
});
const servingReads = gauge({
  name: 'usage_db_replica_serving_reads',
  help: 'Whether lag-tolerant reads go to the read replica (1) or to the primary (0)',
  labelNames: ['replica'],
});
const routeSwitches = counter({
  name: 'usage_db_read_route_switches_total',
  help: 'Times lag-tolerant reads moved between the read replica and the primary, by destination and reason',
  labelNames: ['replica', 'to', 'reason'],
});

const PRIMARY_WAL_SQL = `SELECT (pg_current_wal_lsn() - '0/0')::text AS lsn`;
const REPLICA_STATE_SQL = `SELECT pg_is_in_recovery() AS standby, (pg_last_wal_replay_lsn() - '0/0')::text AS replayed`;

/** Why reads are where they are: `healthy` on the replica, anything else on the primary. */
export type ReadRouteReason = 'healthy' | 'unavailable' | 'not_standby' | 'lagging' | 'lag_unknown' | 'query_error';

export interface ReadReplicaOptions {
  /** The initialized primary DataSource: writes, and reads whenever the replica is not fit. */
  primary: DataSource;
  /** The replica's DataSource, not initialized: the router opens it once the replica answers. */
  replica: DataSource;
  /** DATABASE_READ_URL: the background check connects with it on a connection of its own. */
  replicaUrl: string;
  maxLagMs: number;
  checkMs: number;
  logger: Logger;
  now?: () => number;
}

/**
 * A replica error that means "the replica cannot answer" (connection refused or lost, shutting
 * down, starting up, connect timeout), as opposed to an error of the statement itself.
 */
export function isReplicaUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (/^(08|57P)/.test(code) || /^E[A-Z]+$/.test(code))) return true;
  const message = error instanceof Error ? error.message : String(error);
  return /Connection terminated|timeout exceeded when trying to connect|connection timeout|Client has encountered a connection error/i.test(message);
}

/** "canceling statement due to conflict with recovery": replay needed what the query was reading. */
function isRecoveryConflict(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '40001' && /conflict with recovery/i.test(String((error as Error).message));
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Sends lag-tolerant reads to a streaming replica while it is fit for them, else to the primary.
 * Fitness is judged in the background every `checkMs` (never per request): the replica must
 * answer as a standby and be at most `maxLagMs` behind the primary (see PrimaryWalHistory for how
 * lag is measured). Each move is logged and counted. A read that finds the replica gone (connection
 * refused or lost) is answered by the primary at once and moves reads there until the next check.
 *
 * `dataSource` is what the read services are given: a DataSource whose every property is the
 * current target's, so the services keep their `DataSource` type and do not know about routing.
 */
export class ReadReplicaRouter {
  readonly dataSource: DataSource;
  readonly replicaName: string;
  private onReplica = false;
  private lastReason: ReadRouteReason | null = null;
  private readonly history: PrimaryWalHistory;
  private readonly now: () => number;
  private probe: Client | null = null;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly options: ReadReplicaOptions) {
    this.replicaName = postgresServerName(options.replicaUrl);
    this.history = new PrimaryWalHistory(options.maxLagMs * 2);
    this.now = options.now ?? Date.now;
    this.dataSource = this.routedDataSource();
    servingReads.set({ replica: this.replicaName }, 0);
  }

  /** Whether reads go to the replica right now. */
  get servingFromReplica(): boolean {
    return this.onReplica;
  }

  /** Runs the first check (so the process starts with a decision), then checks every `checkMs`. */
  async start(): Promise<void> {
    await this.check();
    this.schedule();
  }

  /** Stops checking and closes the replica's connections (the primary is the caller's). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    this.onReplica = false;
    await this.closeProbe();
    if (this.options.replica.isInitialized) await this.options.replica.destroy().catch(() => undefined);
  }

  /** One check: sample the primary, ask the replica, move reads if the verdict changed. */
  check(): Promise<void> {
    this.running ??= this.runCheck().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.check().finally(() => this.schedule());
    }, this.options.checkMs);
    this.timer.unref();
  }

  private get checkTimeoutMs(): number {
    // A replica that cannot answer a trivial query within the lag bound cannot serve reads in time.
    return Math.max(this.options.checkMs, this.options.maxLagMs);
  }

  private async runCheck(): Promise<void> {
    const label = { replica: this.replicaName };
    const sampledAt = this.now();
    try {
      const [row] = (await withTimeout(this.options.primary.query(PRIMARY_WAL_SQL), this.checkTimeoutMs, 'the primary')) as Array<{ lsn: string }>;
      this.history.record(sampledAt, Number(row!.lsn));
    } catch {
      // No new sample: the lag measured below grows with the time since the last one.
    }
    let verdict = await this.judgeReplica();
    if (verdict.reason === 'healthy' && !this.options.replica.isInitialized) {
      try {
        await withTimeout(this.options.replica.initialize(), this.checkTimeoutMs, 'the replica');
      } catch (error) {
        verdict = { reason: 'unavailable', lag: verdict.lag, detail: error instanceof Error ? error.message : String(error) };
      }
    }
    if (this.stopped) return;
    if (verdict.lag) lagSeconds.set(label, verdict.lag.lagMs / 1000);
    else lagSeconds.remove(label);
    replicaUp.set(label, verdict.reason === 'unavailable' || verdict.reason === 'not_standby' ? 0 : 1);
    this.route(verdict.reason, verdict);
  }

  private async judgeReplica(): Promise<{ reason: ReadRouteReason; lag?: ReplicaLag; detail?: string }> {
    let state: { standby: boolean; replayed: string | null };
    try {
      const client = await this.connectProbe();
      const result = await withTimeout(client.query(REPLICA_STATE_SQL), this.checkTimeoutMs, 'the replica');
      state = result.rows[0] as typeof state;
    } catch (error) {
      await this.closeProbe();
      return { reason: 'unavailable', detail: error instanceof Error ? error.message : String(error) };
    }
    if (!state.standby || state.replayed === null) return { reason: 'not_standby', detail: 'pg_is_in_recovery() is false: not a standby' };
    const lag = this.history.lag(Number(state.replayed), this.now());
    if (!lag || !lag.bounded) return { reason: 'lag_unknown', lag: lag ?? undefined };
    return { reason: lag.lagMs > this.options.maxLagMs ? 'lagging' : 'healthy', lag };
  }

  private async connectProbe(): Promise<Client> {
    if (this.probe) return this.probe;
    const client = new Client({
      connectionString: this.options.replicaUrl,
      connectionTimeoutMillis: this.checkTimeoutMs,
      application_name: 'usage-api-replica-check',
    });
    // A lost connection is found by the next check's query; it must not crash the process.
    client.on('error', () => undefined);
    await client.connect().catch(async (error: unknown) => {
      await client.end().catch(() => undefined);
      throw error;
    });
    this.probe = client;
    return client;
  }

  private async closeProbe(): Promise<void> {
    const probe = this.probe;
    this.probe = null;
    // A replica that stopped answering may never acknowledge the goodbye either.
    if (probe) await withTimeout(probe.end(), 1000, 'the replica').catch(() => undefined);
  }

  private route(reason: ReadRouteReason, context: { lag?: ReplicaLag; detail?: string } = {}): void {
    const toReplica = reason === 'healthy';
    const moved = toReplica !== this.onReplica;
    const first = this.lastReason === null;
    this.onReplica = toReplica;
    this.lastReason = reason;
    servingReads.set({ replica: this.replicaName }, toReplica ? 1 : 0);
    if (moved) routeSwitches.inc({ replica: this.replicaName, to: toReplica ? 'replica' : 'primary', reason });
    if (!moved && !first) return;
    const meta = { replica: this.replicaName, reason, lagMs: context.lag ? Math.round(context.lag.lagMs) : undefined, maxLagMs: this.options.maxLagMs, detail: context.detail };
    if (toReplica) this.options.logger.info('reads go to the read replica', meta);
    else this.options.logger.warn('reads go to the primary: the read replica is not fit for them', meta);
  }

  private async query(sql: string, parameters?: unknown[], queryRunner?: QueryRunner): Promise<unknown> {
    if (!this.onReplica) return this.options.primary.query(sql, parameters, queryRunner);
    try {
      return await this.options.replica.query(sql, parameters, queryRunner);
    } catch (error) {
      const unavailable = isReplicaUnavailable(error);
      if (!unavailable && !isRecoveryConflict(error)) throw error;
      if (unavailable && this.onReplica) {
        this.route('query_error', { detail: error instanceof Error ? error.message : String(error) });
      }
      return this.options.primary.query(sql, parameters, queryRunner);
    }
  }

  private routedDataSource(): DataSource {
    const query = (sql: string, parameters?: unknown[], queryRunner?: QueryRunner) => this.query(sql, parameters, queryRunner);
    return new Proxy(this.options.primary, {
      get: (primary, property) => {
        if (property === 'query') return query;
        const target = this.onReplica ? this.options.replica : primary;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}
