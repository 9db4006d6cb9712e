import { addMonthsAnchored, nextPeriod, periodContaining } from '@metering/usage';

const d = (iso: string): Date => new Date(iso);
const iso = (period: { start: Date; end: Date }): [string, string] => [period.start.toISOString(), period.end.toISOString()];

describe('billing periods', () => {
  it('clamps a 31st anchor to the end of shorter months and returns to the 31st after', () => {
    const jan = { start: d('2027-01-31T00:00:00Z'), end: d('2027-02-28T00:00:00Z') };
    const feb = nextPeriod(jan, 31);
    const mar = nextPeriod(feb, 31);
    expect(iso(feb)).toEqual(['2027-02-28T00:00:00.000Z', '2027-03-31T00:00:00.000Z']);
    expect(iso(mar)).toEqual(['2027-03-31T00:00:00.000Z', '2027-04-30T00:00:00.000Z']);
  });

  it('uses February 29th in a leap year', () => {
    expect(addMonthsAnchored(d('2028-01-31T00:00:00Z'), 1, 31).toISOString()).toBe('2028-02-29T00:00:00.000Z');
  });

  it('finds the period containing an instant before or after the reference period', () => {
    const nov = { start: d('2026-11-15T00:00:00Z'), end: d('2026-12-15T00:00:00Z') };
    expect(iso(periodContaining(nov, 15, d('2026-11-14T23:59:59Z')))).toEqual([
      '2026-10-15T00:00:00.000Z',
      '2026-11-15T00:00:00.000Z',
    ]);
    expect(iso(periodContaining(nov, 15, d('2027-02-20T00:00:00Z')))).toEqual([
      '2027-02-15T00:00:00.000Z',
      '2027-03-15T00:00:00.000Z',
    ]);
    expect(periodContaining(nov, 15, d('2026-11-15T00:00:00Z'))).toBe(nov);
  });

  it('crosses a year boundary', () => {
    const dec = { start: d('2026-12-01T00:00:00Z'), end: d('2027-01-01T00:00:00Z') };
    expect(iso(nextPeriod(dec, 1))).toEqual(['2027-01-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z']);
  });
});
