import { describe, expect, it } from 'vitest';
import { CronError, nextCron, parseCron } from '../../../src/jobs/schedule/cron.js';
import { resolveZone, type Zone } from '../../../src/jobs/schedule/zone.js';

const UTC = resolveZone('UTC') as Zone;
const BERLIN = resolveZone('Europe/Berlin') as Zone;
const at = (s: string): number => Date.parse(s);
const iso = (ms: number | undefined): string => (ms === undefined ? 'none' : new Date(ms).toISOString());

/** The first `n` occurrences after `from`. */
function series(cron: string, zone: Zone, from: string, n: number): string[] {
  const c = parseCron(cron);
  const out: string[] = [];
  let t: number | undefined = at(from);
  for (let i = 0; i < n && t !== undefined; i++) {
    t = nextCron(c, zone, t);
    out.push(iso(t));
  }
  return out;
}

describe('cron parsing', () => {
  it('reads lists, ranges, steps, names, L, ? and DOW 7 as Sunday', () => {
    const c = parseCron('*/15 9-17/4 L JAN,mar-apr 1-5');
    expect(c.minutes).toEqual([0, 15, 30, 45]);
    expect(c.hours).toEqual([9, 13, 17]);
    expect(c.lastDay).toBe(true);
    expect([...c.months]).toEqual([1, 3, 4]);
    expect([...parseCron('0 0 ? * 7').weekdays]).toEqual([0]);
    expect([...parseCron('0 0 * * SUN,sat').weekdays].sort()).toEqual([0, 6]);
    expect(parseCron('5/20 * * * *').minutes).toEqual([5, 25, 45]);
  });

  it('rejects malformed fields and impossible dates instead of hanging', () => {
    for (const bad of ['* * * *', '60 * * * *', '* 24 * * *', '* * 0 * *', '* * * 13 *', '* * * * 8', '*/0 * * * *', '5-1 * * * *', 'x * * * *', '0 0 31 2 *', '0 0 30 2 *', '0 0 31 4,6,9,11 *', '0 0 * * * 2300', '0 0 30 2 * 2027']) {
      expect(() => parseCron(bad), bad).toThrow(CronError);
    }
    // 29 Feb exists in leap years, and Friday the 13th exists: both accepted.
    expect(() => parseCron('0 0 29 2 *')).not.toThrow();
    expect(() => parseCron('0 0 13 * 5')).not.toThrow();
  });
});

describe('cron occurrences', () => {
  it('steps through minutes, hours and month ends in UTC, strictly after the given instant', () => {
    expect(series('* * * * *', UTC, '2027-01-01T00:00:00Z', 2)).toEqual(['2027-01-01T00:01:00.000Z', '2027-01-01T00:02:00.000Z']);
    expect(series('* * * * *', UTC, '2027-01-01T00:00:30Z', 1)).toEqual(['2027-01-01T00:01:00.000Z']);
    expect(series('0 0 L * *', UTC, '2027-01-15T00:00:00Z', 3)).toEqual(['2027-01-31T00:00:00.000Z', '2027-02-28T00:00:00.000Z', '2027-03-31T00:00:00.000Z']);
    expect(series('0 12 29 2 *', UTC, '2027-01-01T00:00:00Z', 2)).toEqual(['2028-02-29T12:00:00.000Z', '2032-02-29T12:00:00.000Z']);
  });

  it('requires day-of-month AND day-of-week (Metronome), not Unix cron OR', () => {
    // Friday the 13th only.
    expect(series('0 0 13 * 5', UTC, '2027-01-01T00:00:00Z', 2)).toEqual(['2027-08-13T00:00:00.000Z', '2028-10-13T00:00:00.000Z']);
  });

  it('stops when the year field is exhausted', () => {
    expect(series('0 0 1 1 * 2028', UTC, '2027-06-01T00:00:00Z', 2)).toEqual(['2028-01-01T00:00:00.000Z', 'none']);
  });

  it('a daily 02:30 in Europe/Berlin runs once per day across both 2027 transitions, the shift never carried', () => {
    // Spring forward 2027-03-28 02:00 CET → 03:00 CEST: 02:30 does not exist that day and runs at 03:30 CEST.
    expect(series('30 2 * * *', BERLIN, '2027-03-26T12:00:00Z', 4)).toEqual([
      '2027-03-27T01:30:00.000Z', // 02:30 CET
      '2027-03-28T01:30:00.000Z', // 03:30 CEST (gap)
      '2027-03-29T00:30:00.000Z', // 02:30 CEST
      '2027-03-30T00:30:00.000Z',
    ]);
    // Fall back 2027-10-31 03:00 CEST → 02:00 CET: 02:30 happens twice and runs once, at the first.
    expect(series('30 2 * * *', BERLIN, '2027-10-29T12:00:00Z', 4)).toEqual([
      '2027-10-30T00:30:00.000Z', // 02:30 CEST
      '2027-10-31T00:30:00.000Z', // first 02:30 (CEST) only
      '2027-11-01T01:30:00.000Z', // 02:30 CET
      '2027-11-02T01:30:00.000Z',
    ]);
  });

  it('an hourly job across the Berlin transitions: strictly increasing, no instant twice, the gap hour skipped', () => {
    const spring = series('0 * * * *', BERLIN, '2027-03-27T23:30:00Z', 4);
    // 01:00 CET, then 03:00 CEST (02:00 is in the gap and maps to 03:00: one run), then 04:00 CEST.
    expect(spring).toEqual(['2027-03-28T00:00:00.000Z', '2027-03-28T01:00:00.000Z', '2027-03-28T02:00:00.000Z', '2027-03-28T03:00:00.000Z']);
    const autumn = series('0 * * * *', BERLIN, '2027-10-30T23:30:00Z', 4);
    // From 01:30 CEST: 02:00 CEST (the ambiguous hour once), then 03:00 CET two real hours later, 04:00 CET.
    expect(autumn).toEqual(['2027-10-31T00:00:00.000Z', '2027-10-31T02:00:00.000Z', '2027-10-31T03:00:00.000Z', '2027-10-31T04:00:00.000Z']);
  });

  it('finds a gap-shifted occurrence even when asked from inside the shifted hour', () => {
    // 03:10 CEST on spring-forward day: 02:30 (→ 03:30 CEST) is still ahead.
    expect(series('30 2 * * *', BERLIN, '2027-03-28T01:10:00Z', 1)).toEqual(['2027-03-28T01:30:00.000Z']);
  });
});
