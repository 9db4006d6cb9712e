import { IsInt, IsOptional, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';
import { configSection } from '../config-section';

class RedisEnvDto {
  /** Required for a single Redis; with REDIS_CLUSTER_NODES optional, and only its credentials and TLS are used. */
  @ValidateIf((env: RedisEnvDto) => env.REDIS_CLUSTER_NODES === undefined || env.REDIS_URL !== undefined)
  @IsString({ message: 'REDIS_URL must be set (or REDIS_CLUSTER_NODES for a Redis Cluster)' })
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  /** Seed nodes of a Redis Cluster, `host:port,host:port`; unset: the single Redis of REDIS_URL. */
  @IsOptional() @IsString()
  REDIS_CLUSTER_NODES?: string;

  /**
   * Replicas that must acknowledge an enqueued event before the API answers 202 (Redis Cluster only):
   * replication is asynchronous, so a master killed right after a write loses it unless a replica
   * has it. 0 turns the wait off (a failover may then lose acknowledged events).
   */
  @IsInt() @Min(0) @Max(5)
  REDIS_CLUSTER_WAIT_REPLICAS!: number;

  /** How long an enqueue waits for that acknowledgement before the API answers 503 (the agent retries). */
  @IsInt() @Min(1) @Max(10_000)
  REDIS_CLUSTER_WAIT_TIMEOUT_MS!: number;
}

/** One node of a Redis Cluster seed list. */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

/** The Redis a long-running process connects to at start-up. */
export interface RedisConfig {
  redis: {
    /** The single Redis, or (cluster) where credentials and TLS come from; '' when REDIS_URL is unset. */
    url: string;
    /** Set when REDIS_CLUSTER_NODES is: the deployment runs on a Redis Cluster. */
    cluster: { nodes: RedisNodeAddress[]; waitReplicas: number; waitTimeoutMs: number } | null;
  };
}

const NODE = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Parses `host:port,host:port`; the problems name every bad entry. */
export function parseClusterNodes(value: string): { nodes: RedisNodeAddress[]; problems: string[] } {
  const entries = value.split(',').map((entry) => entry.trim());
  const nodes: RedisNodeAddress[] = [];
  const problems: string[] = [];
  for (const entry of entries) {
    const match = NODE.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      problems.push(`REDIS_CLUSTER_NODES: "${entry}" is not host:port (a comma-separated list of seed nodes, e.g. 10.0.0.1:7000,10.0.0.2:7000)`);
      continue;
    }
    nodes.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return { nodes, problems };
}

export const redisSection = configSection({
  name: 'redis',
  dto: RedisEnvDto,
  defaults: { REDIS_CLUSTER_WAIT_REPLICAS: '1', REDIS_CLUSTER_WAIT_TIMEOUT_MS: '250' },
  check: (env) => (env.REDIS_CLUSTER_NODES === undefined ? [] : parseClusterNodes(env.REDIS_CLUSTER_NODES).problems),
  toConfig: (env): RedisConfig => ({
    redis: {
      url: env.REDIS_URL ?? '',
      cluster:
        env.REDIS_CLUSTER_NODES === undefined
          ? null
          : {
              nodes: parseClusterNodes(env.REDIS_CLUSTER_NODES).nodes,
              waitReplicas: env.REDIS_CLUSTER_WAIT_REPLICAS,
              waitTimeoutMs: env.REDIS_CLUSTER_WAIT_TIMEOUT_MS,
            },
    },
  }),
});
