import { Queue } from 'bullmq';
import type { JobsOptions } from 'bullmq';
import { connectionForKey } from '@metering/platform';
import type { RedisClient } from '@metering/platform';
import { MAX_EVENTS_PER_BATCH } from '../domain/event-rules';
import type { OccurredAtWindow } from '../domain/event-rules';
import { ValidationFailedError } from '../domain/usage-errors';
import { parseWireEvents } from '../events/parse-event';
import type { WireEventItem } from '../events/parse-event';
import type { ValidEvent } from '../events/valid-event';
import { toWireEvent } from '../events/wire-event';
import type { TrackEventInput } from '../events/wire-event';
import type { UsageCheckResponse } from '@metering/contract';
import type { AgentType } from '../domain/agent-type';
import type { UsageQuotaService } from '../quota/usage-quota.service';
import { isoStrings } from '../support/iso-strings';
import { confirmReplicated } from './replica-ack';
import type { ReplicaAcknowledgement } from './replica-ack';
import { queueKey, trackQueueShards, trackShardOf } from './track-queue-shards';
import type { QueueAddress } from './track-queue-shards';
import { EnqueueLane } from './enqueue-lane';
import type { TrackJob } from './enqueue-lane';
import type { TrackEventJobData } from './track-job';

/**
 * Completed track jobs kept in Redis: only their ids matter (a resend of an event still there is
 * absorbed without a round trip to Postgres, whose unique key absorbs every other resend), so the
 * set is bounded by count and age rather than kept for an hour: 100,000 completed batches could
 * hold gigabytes and starve every tenant's ingest of Redis memory.
 */
export const COMPLETED_TRACK_JOBS_KEPT = { age: 600, count: 1_000 } as const;

/** Retries with backoff for transient failures; finished jobs trimmed, failed ones kept to inspect. */
export const TRACK_JOB_OPTIONS: JobsOptions = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: COMPLETED_TRACK_JOBS_KEPT,
  removeOnFail: { age: 14 * 24 * 3600 },
};

export interface UsageClientOptions {
  /** A producer connection (fail fast while Redis is away): `createRedisClient(config.redis, 'producer')`. */
  redis: RedisClient;
  /** BullMQ prefix; must match the workers' QUEUE_PREFIX. */
  prefix?: string;
  /** Track queues events are spread over by tenant (USAGE_QUEUE_SHARDS); must match the workers'. Default 1. */
  shards?: number;
  /**
   * Wait for replicas after each enqueue (`replicaAcknowledgement(config.redis)`): an enqueue no
   * replica confirmed rejects with EnqueueNotReplicatedError. Unset: resolve once the master took it.
   */
  replicaAck?: ReplicaAcknowledgement;
  /**
   * How far from the producer's clock occurred_at may lie: `occurredAtWindow(config.usage)`, or
   * DEFAULT_OCCURRED_AT_WINDOW (the documented one) in a service without the metering config.
   */
  window: OccurredAtWindow;
  clock?: () => Date;
  /**
   * The plan's `block` policy and `check()`: with it, events that would take a blocked agent past
   * its limit are refused (QuotaExceededError) before anything is enqueued. Without it, `check()`
   * throws and every event is enqueued (the worker still refuses blocked ones).
   */
  quota?: UsageQuotaService;
  /**
   * Coalesce calls that arrive while a shard's adds are out into one job (EnqueueLane; default
   * true). false: every call is its own job at once, as before coalescing (the benchmark's
   * one-job-per-event reference).
   */
  coalesce?: boolean;
}

export interface TrackAcceptance {
  accepted: number;
  /**
   * The BullMQ jobs that carry the call's events (one per track shard it touched). A job may also
   * carry other calls' events: calls made while earlier ones were still being enqueued share one.
   */
  jobIds: string[];
}

/**
 * Adds a producer has out per track queue before further calls wait to share the next job: 2 keeps
 * one add on the wire while the next is formed, and batches grow with the number of callers.
 */
export const ENQUEUES_IN_FLIGHT_PER_SHARD = 2;

/** The producer agent services use to report work: validates, then enqueues for the workers. */
export interface UsageClient {
  track(event: TrackEventInput): Promise<TrackAcceptance>;
  trackMany(events: readonly TrackEventInput[]): Promise<TrackAcceptance>;
  /**
   * Same as trackMany for one tenant, from wire-shaped (snake_case) events; used by the HTTP API,
   * whose `admit` checks the parsed events against the database (IngestAdmission) before anything
   * is enqueued: a refusal rejects the call and nothing is enqueued.
   */
  trackWire(tenantId: string, events: readonly unknown[], options?: { admit?: (events: readonly ValidEvent[]) => Promise<void> }): Promise<TrackAcceptance>;
  /** May `tenantId`'s `agent` do `quantity` more units in this period (`quota` required)? */
  check(tenantId: string, agent: AgentType, quantity?: number): Promise<UsageCheckResponse>;
  close(): Promise<void>;
}

/** One track queue of the producer: where its jobs go, and the lane that forms them. */
interface ShardTarget {
  address: QueueAddress;
  /** Its meta key: the slot WAIT is asked about. */
  key: string;
  queue: Queue;
}

interface Shard extends ShardTarget {
  lane: EnqueueLane;
}

/**
 * Creates the producer client. Every event is validated before anything is enqueued; one bad
 * event rejects the call with a ValidationFailedError naming it, and nothing is enqueued.
 */
export function createUsageClient(options: UsageClientOptions): UsageClient {
  const shardCount = options.shards ?? 1;
  const maxInFlight = options.coalesce === false ? Number.POSITIVE_INFINITY : ENQUEUES_IN_FLIGHT_PER_SHARD;
  const replicaAck = options.replicaAck;
  const shards: Shard[] = trackQueueShards(options.prefix ?? '{metering}', shardCount).map((address) => {
    const target = {
      address,
      key: queueKey(address),
      queue: new Queue(address.name, { connection: options.redis, prefix: address.prefix, defaultJobOptions: TRACK_JOB_OPTIONS }),
    };
    return { ...target, lane: new EnqueueLane((job) => addToShard(target, job), maxInFlight) };
  });
  const shardOf = (tenantId: string): Shard => shards[trackShardOf(tenantId, shardCount)]!;

  /**
   * Adds a job to the shard; with `replicaAck`, resolves only once that many replicas hold it (and
   * everything else this connection wrote to the shard's master), else rejects with
   * EnqueueNotReplicatedError. Without it, the add alone: the single-Redis path stays as it was.
   */
  async function addToShard(shard: ShardTarget, { name, data, jobId }: TrackJob): Promise<void> {
    if (!replicaAck) {
      await shard.queue.add(name, data, { jobId });
      return;
    }
    const wroteVia = connectionForKey(options.redis, shard.key);
    await shard.queue.add(name, data, { jobId });
    await confirmReplicated(options.redis, shard.address.name, shard.key, replicaAck, wroteVia);
  }

  const window = options.window;
  const clock = options.clock ?? (() => new Date());

  function toJobEvents(items: readonly WireEventItem[]): { parsed: ValidEvent[]; jobs: TrackEventJobData[] } {
    if (items.length === 0) throw new ValidationFailedError([{ field: 'events', message: 'at least one event is required' }]);
    if (items.length > MAX_EVENTS_PER_BATCH) {
      throw new ValidationFailedError([{ field: 'events', message: `at most ${MAX_EVENTS_PER_BATCH} events per request` }]);
    }
    const now = clock();
    const enqueuedAt = now.getTime();
    const events = parseWireEvents(items, { now, window });
    const iso = isoStrings();
    const jobs = events.map((event: ValidEvent): TrackEventJobData => ({
      tenant_id: event.tenantId,
      // An event sent without occurred_at got `now`, which is enqueued_at: left out, as before.
      event: toWireEvent(event, { enqueuedAt, iso }) as TrackEventJobData['event'],
      enqueued_at: enqueuedAt,
    }));
    return { parsed: events, jobs };
  }

  /**
   * The checks that read the database before anything is enqueued: the caller's (the API's
   * IngestAdmission) and the `block` quota. They run concurrently, so a request waits for one
   * round trip, not two; when both refuse, the caller's refusal is the answer (as if in order).
   */
  async function admitted(parsed: readonly ValidEvent[], admit?: (events: readonly ValidEvent[]) => Promise<void>): Promise<void> {
    if (!admit && !options.quota) return; // an agent service's producer: nothing to ask
    const [own, quota] = await Promise.allSettled([admit?.(parsed), options.quota?.admit(parsed)]);
    if (own.status === 'rejected') throw own.reason;
    if (quota.status === 'rejected') throw quota.reason;
  }

  async function enqueue(jobs: TrackEventJobData[], parsed: readonly ValidEvent[], admit?: (events: readonly ValidEvent[]) => Promise<void>): Promise<TrackAcceptance> {
    await admitted(parsed, admit);
    // One lane call per shard the call touches, so each tenant's events stay in its own queue.
    const byShard = new Map<Shard, TrackEventJobData[]>();
    for (const job of jobs) {
      const shard = shardOf(job.tenant_id);
      const list = byShard.get(shard);
      if (list) list.push(job);
      else byShard.set(shard, [job]);
    }
    const jobIds = await Promise.all([...byShard].map(([shard, events]) => shard.lane.enqueue({ events, single: jobs.length === 1 })));
    return { accepted: jobs.length, jobIds: [...new Set(jobIds)] };
  }

  const toItem = (event: TrackEventInput): WireEventItem => ({ tenant_id: event.tenantId, event: toWireEvent(event) });

  // async, so a validation error is a rejected promise (never a synchronous throw) for callers using .catch().
  return {
    track: async (event) => {
      const { jobs, parsed } = toJobEvents([toItem(event)]);
      return enqueue(jobs, parsed);
    },
    trackMany: async (events) => {
      const { jobs, parsed } = toJobEvents(events.map(toItem));
      return enqueue(jobs, parsed);
    },
    trackWire: async (tenantId, events, wireOptions = {}) => {
      const { parsed, jobs } = toJobEvents(events.map((event) => ({ tenant_id: tenantId, event })));
      return enqueue(jobs, parsed, wireOptions.admit);
    },
    check: async (tenantId, agent, quantity = 1) => {
      if (!options.quota) throw new Error('usageClient.check() needs the `quota` option (a UsageQuotaService)');
      return options.quota.check(tenantId, agent, quantity);
    },
    close: async () => {
      await Promise.all(shards.map(({ lane }) => lane.idle()));
      await Promise.all(shards.map(({ queue }) => queue.close()));
    },
  };
}
