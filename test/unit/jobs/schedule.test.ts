import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { firstIndexAtOrAfter, formatInstant, occurrenceAt, parseEpsilon, parseSchedule, ScheduleError } from '../../../src/jobs/schedule/iso8601.js';
import { cursorPast, nextDue, remaining, rewrittenSchedule, START_CURSOR, takeDue, type Cursor } from '../../../src/jobs/schedule/cursor.js';
import { resolveZone } from '../../../src/jobs/schedule/zone.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const T = (s: string): number => Date.parse(s);

describe('schedule parsing', () => {
  it('parses counts, empty start, offsets and periods', () => {
    const now = T('2024-05-01T10:00:00Z');
    const a = parseSchedule('R5/2008-03-01T13:00:00Z/P1D', '', now);
    expect(a.count).toBe(5);
    expect(iso(a.startMs)).toBe('2008-03-01T13:00:00.000Z');
    expect(parseSchedule('R/2014-03-08T20:00:00.000Z/PT2H', '', now).count).toBeUndefined();
    expect(parseSchedule('R0/2014-03-08T20:00:00Z/PT2H', '', now).count).toBe(0);
    expect(parseSchedule('R//PT1S', '', now).startMs).toBe(now);
    expect(iso(parseSchedule('R/2008-03-01/P1D', '', now).startMs)).toBe('2008-03-01T00:00:00.000Z');
    expect(iso(parseSchedule('R/2008-03-01T13:00:00-04:00/P1D', '', now).startMs)).toBe('2008-03-01T17:00:00.000Z');
    expect(parseSchedule('R1//P', '', now).count).toBe(1);
    expect(parseSchedule('R/2020-01-01T00:00:00Z/P1Y2M3W4DT5H6M7.5S', '', now).period).toMatchObject({ years: 1, months: 2, weeks: 3, days: 4, hours: 5, minutes: 6, millis: 7500 });
  });

  it('rejects bad input with a Cannot parse message', () => {
    const now = T('2024-05-01T10:00:00Z');
    for (const bad of ['', 'R/x/P1D', 'R5/2008-13-01T00:00:00Z/P1D', 'X/2008-01-01/P1D', 'R/2008-01-01/P-1D', 'R/2008-01-01/PT', 'R/2008-01-01/1D', 'R/2008-01-01/PT0S', 'R2//P']) {
      expect(() => parseSchedule(bad, '', now), bad).toThrow(ScheduleError);
    }
    expect(() => parseSchedule('R/x/P1D', '', now)).toThrow(/^Cannot parse schedule 'R\/x\/P1D'/);
    expect(() => parseSchedule('R/1960-01-01T00:00:00Z/P1D', '', now)).toThrow(/before 1970/);
    expect(() => parseSchedule('R/2020-01-01T00:00:00Z/P1D', 'Mars/Olympus', now)).toThrow(/Unknown scheduleTimeZone/);
  });

  it('re-interprets the wall clock in scheduleTimeZone and maps legacy ids', () => {
    const now = T('2024-05-01T10:00:00Z');
    const s = parseSchedule('R/2014-10-10T18:32:00Z/PT60M', 'PST', now);
    expect(iso(s.startMs)).toBe('2014-10-11T01:32:00.000Z');
    expect(formatInstant(s.zone, s.startMs)).toBe('2014-10-10T18:32:00.000-07:00');
    expect(resolveZone('BST')).toEqual({ kind: 'iana', id: 'Asia/Dhaka' });
    expect(resolveZone('GMT+05:30')).toEqual({ kind: 'fixed', offsetMs: 330 * 60_000 });
    expect(resolveZone('Nowhere/Land')).toBeUndefined();
  });
});

describe('occurrences from an immutable anchor', () => {
  const now = T('2027-01-01T00:00:00Z');

  it('daily 02:30 in Europe/Berlin across both 2027 DST transitions', () => {
    const s = parseSchedule('R/2027-03-26T02:30:00/P1D', 'Europe/Berlin', now);
    const got = [0, 1, 2, 3].map((k) => iso(occurrenceAt(s, k)));
    // 28 March 02:30 does not exist: 03:30 CEST that day only; the next day is 02:30 CEST again.
    expect(got).toEqual(['2027-03-26T01:30:00.000Z', '2027-03-27T01:30:00.000Z', '2027-03-28T01:30:00.000Z', '2027-03-29T00:30:00.000Z']);
    const f = parseSchedule('R/2027-10-30T02:30:00/P1D', 'Europe/Berlin', now);
    // 31 October 02:30 happens twice: the earlier (CEST) instant is taken, once.
    expect([0, 1, 2].map((k) => iso(occurrenceAt(f, k)))).toEqual(['2027-10-30T00:30:00.000Z', '2027-10-31T00:30:00.000Z', '2027-11-01T01:30:00.000Z']);
  });

  it('PT24H is an exact duration while P1D keeps local time', () => {
    const s = parseSchedule('R/2027-03-27T12:00:00/PT24H', 'Europe/Berlin', now);
    expect(formatInstant(s.zone, occurrenceAt(s, 1))).toBe('2027-03-28T13:00:00.000+02:00');
  });

  it('month-end and leap-day periods clamp per occurrence without drifting', () => {
    const m = parseSchedule('R/2027-01-31T00:00:00Z/P1M', '', now);
    expect([0, 1, 2, 3].map((k) => iso(occurrenceAt(m, k)).slice(0, 10))).toEqual(['2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30']);
    const y = parseSchedule('R/2024-02-29T00:00:00Z/P1Y', '', now);
    expect([0, 1, 4].map((k) => iso(occurrenceAt(y, k)).slice(0, 10))).toEqual(['2024-02-29', '2025-02-28', '2028-02-29']);
  });

  it('finds the first index at or after an instant', () => {
    const s = parseSchedule('R/2024-01-01T00:00:00Z/P1D', '', now);
    expect(firstIndexAtOrAfter(s, T('2024-01-05T10:00:00Z'))).toBe(5);
    expect(firstIndexAtOrAfter(s, T('2024-01-05T00:00:00Z'))).toBe(4);
    expect(firstIndexAtOrAfter(s, T('2023-01-01T00:00:00Z'))).toBe(0);
  });
});

describe('takeDue under a fake clock', () => {
  it('R5 with a 1 s period runs exactly five times, one run per occurrence', async () => {
    const clock = new FakeClock(T('2030-01-01T00:00:00Z'));
    const s = parseSchedule(`R5/${iso(clock.now() + 2000)}/PT1S`, '', clock.now());
    let c: Cursor = START_CURSOR;
    const ran: number[] = [];
    for (let i = 0; i < 100; i++) {
      const d = takeDue(s, c, clock.now(), undefined);
      for (const r of d.runs) ran.push(r.at);
      c = d.cursor;
      // Polling twice at the same instant never doubles a run.
      expect(takeDue(s, c, clock.now(), undefined).runs).toEqual([]);
      await clock.advance(100);
    }
    expect(ran.map((t) => t - T('2030-01-01T00:00:00Z'))).toEqual([2000, 3000, 4000, 5000, 6000]);
    expect(remaining(s, c)).toBe(0);
    expect(nextDue(s, c)).toBeUndefined();
  });

  it('R0 never runs and R runs forever', () => {
    const now = T('2030-01-01T00:00:00Z');
    const r0 = parseSchedule('R0/2029-01-01T00:00:00Z/PT1S', '', now);
    expect(takeDue(r0, START_CURSOR, now, undefined).runs).toEqual([]);
    const inf = parseSchedule('R/2029-12-31T23:59:59Z/PT1S', '', now);
    let c = START_CURSOR;
    for (let i = 0; i < 50; i++) {
      const d = takeDue(inf, c, now + 1000 * i, undefined);
      expect(d.runs.length).toBe(1);
      c = d.cursor;
    }
    expect(remaining(inf, c)).toBeUndefined();
  });

  it('without epsilon, missed occurrences collapse into one run consuming one repetition (spec §4.4 example)', () => {
    const s = parseSchedule('R3/2024-01-01T00:00:00Z/P1D', '', 0);
    const d = takeDue(s, START_CURSOR, T('2024-01-05T10:00:00Z'), undefined);
    expect(d.runs.map((r) => iso(r.at))).toEqual(['2024-01-05T00:00:00.000Z']);
    expect(d.collapsed).toBe(4);
    expect(rewrittenSchedule(s, d.cursor)).toBe('R2/2024-01-06T00:00:00.000Z/P1D');
  });

  it('with epsilon, occurrences older than epsilon are missed and recorded, newer ones run', () => {
    const s = parseSchedule('R/2024-01-01T00:00:00Z/PT1H', '', 0);
    const now = T('2024-01-01T05:10:00Z');
    const d = takeDue(s, START_CURSOR, now, parseEpsilon('PT30M'));
    expect(d.missedCount).toBe(5);
    expect(d.missed.map((m) => m.index)).toEqual([0, 1, 2, 3, 4]);
    expect(d.runs.map((r) => iso(r.at))).toEqual(['2024-01-01T05:00:00.000Z']);
    expect(d.cursor).toEqual({ nextIndex: 6, consumed: 6 });
    // A finite count is consumed by misses too and never goes negative.
    const f = parseSchedule('R2/2024-01-01T00:00:00Z/PT1H', '', 0);
    const fd = takeDue(f, START_CURSOR, now, parseEpsilon('PT30M'));
    expect(fd.runs).toEqual([]);
    expect(fd.missedCount).toBe(2);
    expect(remaining(f, fd.cursor)).toBe(0);
    expect(takeDue(f, fd.cursor, now + 1e9, 1000).runs).toEqual([]);
  });

  it('prints the rewritten schedule in the schedule zone', () => {
    const s = parseSchedule('R3/2027-06-01T09:00:00/P1D', 'America/Los_Angeles', 0);
    expect(rewrittenSchedule(s, { nextIndex: 2, consumed: 1 })).toBe('R2/2027-06-03T09:00:00.000-07:00/P1D');
  });

  it('moves the cursor past an occurrence found taken after a crash, by instant', () => {
    const s = parseSchedule('R5/2024-01-01T00:00:00Z/P1D', '', 0);
    const c = cursorPast(s, START_CURSOR, T('2024-01-03T00:00:00Z'));
    expect(c).toEqual({ nextIndex: 3, consumed: 1 });
    // An older instant (e.g. a run of an earlier anchor) leaves the cursor alone.
    expect(cursorPast(s, c, T('2024-01-02T00:00:00Z'))).toBe(c);
    expect(rewrittenSchedule(s, c)).toBe('R4/2024-01-04T00:00:00.000Z/P1D');
  });
});
