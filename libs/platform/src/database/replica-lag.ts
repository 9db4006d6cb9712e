/** At `atMs` the primary had written its WAL up to `lsn` (bytes since 0/0). */
interface WalSample {
  atMs: number;
  lsn: number;
}

/** How stale a replica is, from the primary's WAL positions over time. */
export interface ReplicaLag {
  /** Milliseconds of the primary's history the replica has not replayed yet. */
  lagMs: number;
  /**
   * True when `lagMs` is known to within one sampling interval. False when the replica is behind
   * every sample still kept (e.g. just after start): then `lagMs` is only a lower bound and the
   * replica is not to be trusted.
   */
  bounded: boolean;
}

/**
 * The primary's WAL end sampled over time, to tell how far behind a replica's replay position is
 * in seconds. Why not the usual measures:
 * - `now() - pg_last_xact_replay_timestamp()` on the replica grows without bound while the primary
 *   is idle (nothing new to replay), and would send reads away from a replica that is current.
 * - `pg_last_wal_receive_lsn()` vs `pg_last_wal_replay_lsn()` on the replica sees only WAL it has
 *   received: a replica cut off from the primary (receiver stalled, network split) looks current.
 * - A heartbeat row written on the primary is exact but is a write per API process per interval,
 *   and a table.
 * Comparing the replica's replay position with the primary's own write position is exact about
 * what is missing, and idle is simply "caught up". Positions become times by remembering when the
 * primary reached each sampled position; between two samples the time is interpolated, so the
 * error is at most one sampling interval (the config keeps that at most half of the bound).
 */
export class PrimaryWalHistory {
  private samples: WalSample[] = [];

  /** `keepMs`: how much history is kept; a replica further behind is reported as at least that. */
  constructor(private readonly keepMs: number) {}

  /** Records that at `atMs` (taken before asking) the primary had written up to `lsn`. */
  record(atMs: number, lsn: number): void {
    const last = this.samples[this.samples.length - 1];
    // A position going back means another primary (failover, restore): its history starts anew.
    if (last && lsn < last.lsn) this.samples = [];
    this.samples.push({ atMs, lsn });
    // Keep the newest sample older than the window too: it bounds a replica at the window's edge.
    const cutoff = atMs - this.keepMs;
    const firstInWindow = this.samples.findIndex((sample) => sample.atMs >= cutoff);
    if (firstInWindow > 1) this.samples = this.samples.slice(firstInWindow - 1);
  }

  /** The lag at `nowMs` of a replica that has replayed WAL up to `replayLsn`; null before any sample. */
  lag(replayLsn: number, nowMs: number): ReplicaLag | null {
    const newest = this.samples[this.samples.length - 1];
    if (!newest) return null;
    if (replayLsn >= newest.lsn) return { lagMs: Math.max(0, nowMs - newest.atMs), bounded: true };
    let index = this.samples.length - 1;
    while (index >= 0 && this.samples[index]!.lsn > replayLsn) index -= 1;
    if (index < 0) return { lagMs: Math.max(0, nowMs - this.samples[0]!.atMs), bounded: false };
    // The replica has what the primary had at `before`, not all it had at `after`.
    const before = this.samples[index]!;
    const after = this.samples[index + 1]!;
    const reachedAt = before.atMs + ((replayLsn - before.lsn) / (after.lsn - before.lsn)) * (after.atMs - before.atMs);
    return { lagMs: Math.max(0, nowMs - reachedAt), bounded: true };
  }
}
