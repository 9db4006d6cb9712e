import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createRedisConnection, keySlot } from '@metering/platform';
import { freePort } from './app-process';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface TestRedisClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** cluster-node-timeout: how long a master may be silent before its replica takes over. */
  nodeTimeoutMs?: number;
}

interface ClusterNodeProcess {
  port: number;
  dir: string;
  server?: ChildProcess;
}

/** One line of CLUSTER NODES, as far as tests need it. */
export interface ClusterNodeInfo {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** For a replica: the id of its master. */
  masterId: string | null;
  failed: boolean;
  /** Slot ranges a master serves, e.g. [[0, 5460]]. */
  slots: Array<[number, number]>;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`Redis Cluster: ${what} within ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
    await sleep(100);
  }
}

/**
 * A real Redis Cluster for one test file: `redis-server --cluster-enabled yes` nodes on free
 * loopback ports (data and nodes.conf in a temp dir, no persistence), joined with
 * `redis-cli --cluster create --cluster-replicas N`. A test can SIGKILL a master, wait for its
 * replica to take over, and start the killed node again (it rejoins as a replica).
 */
export class TestRedisCluster {
  private readonly nodes: ClusterNodeProcess[] = [];
  /** Slots each killed master served when it was killed, for waitForFailover. */
  private readonly slotsAtKill = new Map<number, Array<[number, number]>>();
  private root = '';

  private constructor(private readonly options: Required<TestRedisClusterOptions>) {}

  static async start(options: TestRedisClusterOptions = {}): Promise<TestRedisCluster> {
    const cluster = new TestRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000, ...options });
    try {
      await cluster.create();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** REDIS_CLUSTER_NODES for the apps: every node as a seed. */
  get seeds(): string {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`).join(',');
  }

  get ports(): number[] {
    return this.nodes.map((node) => node.port);
  }

  private async create(): Promise<void> {
    this.root = await mkdtemp(path.join(tmpdir(), 'redis-cluster-'));
    const count = this.options.masters * (1 + this.options.replicasPerMaster);
    for (let i = 0; i < count; i++) this.nodes.push({ port: await freePort(), dir: path.join(this.root, String(i)) });
    await Promise.all(this.nodes.map((node) => this.launch(node)));
    await run('redis-cli', [
      '--cluster', 'create',
      ...this.nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas', String(this.options.replicasPerMaster),
      '--cluster-yes',
    ]);
    await this.waitUntilHealthy();
  }

  private async launch(node: ClusterNodeProcess): Promise<void> {
    await mkdir(node.dir, { recursive: true });
    node.server = spawn(
      'redis-server',
      [
        '--port', String(node.port),
        '--bind', '127.0.0.1',
        '--dir', node.dir,
        '--cluster-enabled', 'yes',
        '--cluster-config-file', 'nodes.conf',
        '--cluster-node-timeout', String(this.options.nodeTimeoutMs),
        // A replica may always take over, however long it was cut off (tests kill masters on purpose).
        '--cluster-replica-validity-factor', '0',
        '--save', '',
        '--appendonly', 'no',
      ],
      { stdio: 'ignore' },
    );
    await until(`node ${node.port} answering`, async () => ((await this.command(node.port, 'PING')) === 'PONG' ? true : undefined), 10_000);
  }

  /** One command on one node, over a short-lived connection. */
  async command(port: number, ...args: Array<string | number>): Promise<unknown> {
    const redis = createRedisConnection(`redis://127.0.0.1:${port}`, 'producer', { lazyConnect: true, retryStrategy: () => null });
    redis.on('error', () => undefined); // a node not up yet (or killed): the caller's probe retries
    try {
      await redis.connect();
      return await redis.call(String(args[0]), ...args.slice(1).map(String));
    } finally {
      redis.disconnect();
    }
  }

  /** The cluster as the node on `viaPort` (default: the first node still running) sees it. */
  async topology(viaPort?: number): Promise<ClusterNodeInfo[]> {
    const port = viaPort ?? this.nodes.find((node) => node.server && node.server.exitCode === null && node.server.signalCode === null)!.port;
    const text = String(await this.command(port, 'CLUSTER', 'NODES'));
    return text
      .trim()
      .split('\n')
      .map((line) => {
        const [id, address, flags, master, , , , , ...slots] = line.split(' ');
        return {
          id: id!,
          port: Number(address!.split('@')[0]!.split(':')[1]),
          role: flags!.includes('master') ? ('master' as const) : ('replica' as const),
          masterId: master === '-' ? null : master!,
          failed: flags!.includes('fail'),
          slots: slots
            .filter((range) => !range.startsWith('['))
            .map((range) => {
              const [from, to] = range.split('-').map(Number);
              return [from!, to ?? from!] as [number, number];
            }),
        };
      });
  }

  /** The port of the master serving the slot of `key`. */
  async masterOf(key: string): Promise<number> {
    const slot = keySlot(key);
    const master = (await this.topology()).find((node) => node.role === 'master' && !node.failed && node.slots.some(([from, to]) => slot >= from && slot <= to));
    if (!master) throw new Error(`Redis Cluster: no master serves slot ${slot}`);
    return master.port;
  }

  /** Waits until every node that runs sees every slot served and no node failed. */
  async waitUntilHealthy(timeoutMs = 20_000): Promise<void> {
    await until(
      'every node reporting cluster_state:ok',
      async () => {
        for (const node of this.nodes) {
          if (!node.server || node.server.exitCode !== null || node.server.signalCode !== null) continue;
          const info = String(await this.command(node.port, 'CLUSTER', 'INFO'));
          if (!info.includes('cluster_state:ok')) return undefined;
        }
        const topology = await this.topology();
        if (topology.some((node) => node.failed)) return undefined;
        // Every replica synced with its master, or WAIT would find no replica to confirm writes.
        for (const replica of topology.filter((node) => node.role === 'replica')) {
          const info = String(await this.command(replica.port, 'INFO', 'replication'));
          if (!info.includes('master_link_status:up')) return undefined;
        }
        return true;
      },
      timeoutMs,
    );
  }

  /** SIGKILL the node on `port` (a crash: nothing is flushed, its replica must take over). */
  async kill(port: number): Promise<void> {
    const node = this.node(port);
    const server = node.server;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const self = (await this.topology(port).catch(() => [])).find((candidate) => candidate.port === port);
    if (self?.role === 'master') this.slotsAtKill.set(port, self.slots);
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
  }

  /** Resolves with the port of the replica that took over `port`'s slots once the cluster is ok again. */
  async waitForFailover(port: number, timeoutMs = 20_000): Promise<number> {
    const slot = this.slotsAtKill.get(port)?.[0]?.[0];
    if (slot === undefined) throw new Error(`Redis Cluster: node ${port} was not a master serving slots when it was killed`);
    return until(
      `a replica taking over the slots of ${port}`,
      async () => {
        const topology = await this.topology();
        const promoted = topology.find((node) => node.role === 'master' && node.port !== port && !node.failed && node.slots.some(([from, to]) => slot >= from && slot <= to));
        if (!promoted) return undefined;
        const info = String(await this.command(promoted.port, 'CLUSTER', 'INFO'));
        return info.includes('cluster_state:ok') ? promoted.port : undefined;
      },
      timeoutMs,
    );
  }

  /** Starts a killed node again on its port with its nodes.conf: it rejoins (as a replica once failed over). */
  async restart(port: number): Promise<void> {
    await this.launch(this.node(port));
  }

  /** Waits until the node on `port` is a replica whose link to its master is up (it synced). */
  async waitUntilReplicating(port: number, timeoutMs = 20_000): Promise<void> {
    await until(
      `node ${port} replicating`,
      async () => {
        const info = String(await this.command(port, 'INFO', 'replication'));
        return info.includes('role:slave') && info.includes('master_link_status:up') ? true : undefined;
      },
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => this.kill(node.port).catch(() => undefined)));
    if (this.root) await rm(this.root, { recursive: true, force: true });
  }

  private node(port: number): ClusterNodeProcess {
    const node = this.nodes.find((candidate) => candidate.port === port);
    if (!node) throw new Error(`Redis Cluster: no node on port ${port}`);
    return node;
  }
}
