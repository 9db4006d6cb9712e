import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './app-process';

const run = promisify(execFile);
const SERVER_BINARIES = ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres'];

/** A directory holding the Postgres server binaries: `pg_config --bindir`, else /usr/lib/postgresql/<newest>/bin. */
export function postgresBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR);
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch {
    // no pg_config on PATH
  }
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => path.join(debian, version, 'bin')));
  }
  const found = candidates.find((dir) => SERVER_BINARIES.every((binary) => existsSync(path.join(dir, binary))));
  if (!found) {
    throw new Error(
      `No Postgres server binaries (${SERVER_BINARIES.join(', ')}) in ${candidates.join(', ') || 'pg_config --bindir or /usr/lib/postgresql/*/bin'}: ` +
        'install the server package (Debian: apt-get install postgresql) or set PG_BINDIR',
    );
  }
  return found;
}

/** Postgres refuses to run as root: as root the servers run as the `postgres` user. */
function asServerUser(): { prefix: string[]; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return { prefix: [] };
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  let uid: number;
  let gid: number;
  try {
    [uid, gid] = [id('-u'), id('-g')];
  } catch {
    throw new Error('running as root and there is no `postgres` user to run the test servers as (Postgres refuses root)');
  }
  return { prefix: ['runuser', '-u', 'postgres', '--'], uid, gid };
}

/**
 * A primary and a streaming standby (`pg_basebackup -R`) on free loopback ports in a temp dir,
 * for tests of the read replica. Both are real servers; `stop()` removes them and their files.
 */
export class ReplicatedPostgres {
  readonly primaryPort: number;
  readonly standbyPort: number;
  private readonly user = asServerUser();
  private readonly bin = postgresBinDir();
  private running = new Set<'primary' | 'standby'>();

  private constructor(
    readonly dir: string,
    ports: [number, number],
  ) {
    [this.primaryPort, this.standbyPort] = ports;
  }

  /** initdb, start the primary, base-backup the standby from it and start it streaming. */
  static async start(): Promise<ReplicatedPostgres> {
    const dir = mkdtempSync(path.join(tmpdir(), 'pg-replica-'));
    const cluster = new ReplicatedPostgres(dir, [await freePort(), await freePort()]);
    try {
      if (cluster.user.uid !== undefined) chownSync(dir, cluster.user.uid, cluster.user.gid!);
      await cluster.exec('initdb', ['-D', cluster.dataDir('primary'), '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
      await cluster.startServer('primary');
      await cluster.exec('pg_basebackup', ['-h', '127.0.0.1', '-p', String(cluster.primaryPort), '-U', 'postgres', '-D', cluster.dataDir('standby'), '-R', '-X', 'stream', '-c', 'fast', '--no-sync']);
      await cluster.startServer('standby');
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** A URL of `database` on the primary. */
  primaryUrl(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.primaryPort}/${database}`;
  }

  /** A URL of `database` on the standby. */
  standbyUrl(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.standbyPort}/${database}`;
  }

  /** Stops applying WAL on the standby (it keeps receiving): from now on it falls behind. */
  pauseReplay(): Promise<void> {
    return this.onStandby('SELECT pg_wal_replay_pause()');
  }

  resumeReplay(): Promise<void> {
    return this.onStandby('SELECT pg_wal_replay_resume()');
  }

  /** `pg_ctl stop -m fast`: connections are cut, new ones refused. */
  stopStandby(): Promise<void> {
    return this.stopServer('standby', 'fast');
  }

  startStandby(): Promise<void> {
    return this.startServer('standby');
  }

  /** Stops both servers (immediately) and deletes their files; safe to call after a failed start. */
  async stop(): Promise<void> {
    for (const server of ['standby', 'primary'] as const) await this.stopServer(server, 'immediate').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private dataDir(server: 'primary' | 'standby'): string {
    return path.join(this.dir, server);
  }

  private async startServer(server: 'primary' | 'standby'): Promise<void> {
    const port = server === 'primary' ? this.primaryPort : this.standbyPort;
    const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.dir} -c fsync=off -c shared_buffers=16MB -c max_connections=40`;
    const log = path.join(this.dir, `${server}.log`);
    try {
      await this.exec('pg_ctl', ['-D', this.dataDir(server), '-o', options, '-l', log, '-w', '-t', '30', 'start']);
    } catch (error) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
      throw new Error(`${server} did not start: ${error instanceof Error ? error.message : String(error)}\n${tail}`);
    }
    this.running.add(server);
  }

  private async stopServer(server: 'primary' | 'standby', mode: 'fast' | 'immediate'): Promise<void> {
    if (!this.running.has(server)) return;
    await this.exec('pg_ctl', ['-D', this.dataDir(server), '-m', mode, '-w', '-t', '30', 'stop']);
    this.running.delete(server);
  }

  private async exec(binary: string, args: string[]): Promise<void> {
    const command = [...this.user.prefix, path.join(this.bin, binary), ...args];
    await run(command[0]!, command.slice(1), { cwd: this.dir, timeout: 60_000 });
  }

  /** Creates `database` on the primary (the standby gets it by replication). */
  async createDatabase(database: string): Promise<void> {
    await this.query(this.primaryUrl(), `CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  }

  /** Runs `sql` on the standby on a connection of its own and returns its rows. */
  queryStandby<T>(sql: string, database = 'postgres'): Promise<T[]> {
    return this.query<T>(this.standbyUrl(database), sql);
  }

  private async onStandby(sql: string): Promise<void> {
    await this.queryStandby(sql);
  }

  private async query<T>(url: string, sql: string): Promise<T[]> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  }
}
