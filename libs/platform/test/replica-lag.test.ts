import { PrimaryWalHistory } from '@metering/platform';

describe('PrimaryWalHistory (replica lag from the primary WAL positions)', () => {
  it('reports a replica that has replayed all the primary had at the last sample as current, however long the primary was idle', () => {
    const history = new PrimaryWalHistory(10_000);
    for (let at = 0; at <= 60_000; at += 500) history.record(at, 1_000);
    expect(history.lag(1_000, 60_010)).toEqual({ lagMs: 10, bounded: true });
  });

  it('dates the replay position between the two samples around it', () => {
    const history = new PrimaryWalHistory(10_000);
    history.record(0, 1_000);
    history.record(1_000, 2_000);
    history.record(2_000, 3_000);
    // 2,500 was written half-way between 1 s and 2 s: at 3 s the replica is 1.5 s behind.
    expect(history.lag(2_500, 3_000)).toEqual({ lagMs: 1_500, bounded: true });
  });

  it('keeps growing while replay stands still and the primary writes on', () => {
    const history = new PrimaryWalHistory(10_000);
    history.record(0, 1_000);
    for (let at = 500; at <= 4_000; at += 500) history.record(at, 1_000 + at);
    expect(history.lag(1_000, 4_000)).toEqual({ lagMs: 4_000, bounded: true });
    expect(history.lag(1_000, 5_000)).toEqual({ lagMs: 5_000, bounded: true });
  });

  it('gives only a lower bound for a replica behind everything it remembers (just after start)', () => {
    const history = new PrimaryWalHistory(10_000);
    expect(history.lag(0, 0)).toBeNull();
    history.record(1_000, 5_000);
    expect(history.lag(4_000, 1_020)).toEqual({ lagMs: 20, bounded: false });
  });

  it('forgets samples past its window but keeps one to measure from its edge', () => {
    const history = new PrimaryWalHistory(2_000);
    for (let at = 0; at <= 10_000; at += 1_000) history.record(at, at);
    // 7,000 was the primary's position at 7 s: still in the window.
    expect(history.lag(7_000, 10_000)).toEqual({ lagMs: 3_000, bounded: true });
    // 1,000 is long gone: only "at least since the oldest sample kept" (7 s).
    expect(history.lag(1_000, 10_000)).toEqual({ lagMs: 3_000, bounded: false });
  });

  it('starts over when the position goes back (another primary after a failover)', () => {
    const history = new PrimaryWalHistory(10_000);
    history.record(0, 9_000);
    history.record(1_000, 100);
    expect(history.lag(100, 1_000)).toEqual({ lagMs: 0, bounded: true });
    expect(history.lag(50, 1_000)).toEqual({ lagMs: 0, bounded: false });
  });
});
