/**
 * ISO 8601 repeating intervals `R[n]/[start]/period` (spec §4.1–§4.3): parsing, printing, and occurrence k
 * of an immutable anchor = start + k·period in the schedule's zone. Date fields (Y, M, W, D) are added to the
 * wall clock (day of month clamped, as Joda does), time fields (H, M, S) as exact durations, so `P1D` keeps the
 * local time across DST while `PT24H` does not, and a DST-gap shift never carries into later occurrences.
 */
import { fromWall, formatOffset, offsetAt, pad, parseOffset, resolveZone, toWall, wallAsUtc, type Wall, type Zone } from './zone.js';

export interface Period {
  readonly years: number;
  readonly months: number;
  readonly weeks: number;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  /** Seconds including the millisecond fraction, in ms. */
  readonly millis: number;
  /** As written (Joda prints periods unnormalised). */
  readonly text: string;
}

/** A parsed schedule; `count` undefined = infinite. */
export interface Schedule {
  readonly count: number | undefined;
  readonly start: Wall;
  readonly zone: Zone;
  readonly period: Period;
  /** The first occurrence's instant. */
  readonly startMs: number;
}

export class ScheduleError extends Error {}

const PERIOD_RE = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d{1,3}))?S)?)?$/;
const START_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;
/** 1970-01-01T00:00:01Z: upstream rejects starts before it. */
const MIN_START_MS = 1000;

export function parsePeriod(text: string): Period {
  const m = PERIOD_RE.exec(text);
  if (m === null || text.endsWith('T')) throw new ScheduleError(`Cannot parse period '${text}'`);
  const n = (i: number): number => Number(m[i] ?? '0');
  const frac = m[8] === undefined ? 0 : Number(m[8].padEnd(3, '0'));
  return { years: n(1), months: n(2), weeks: n(3), days: n(4), hours: n(5), minutes: n(6), millis: n(7) * 1000 + frac, text };
}

export function isZeroPeriod(p: Period): boolean {
  return p.years + p.months + p.weeks + p.days + p.hours + p.minutes + p.millis === 0;
}

/** Approximate length, only for estimating an occurrence index before exact stepping. */
function approxLengthMs(p: Period): number {
  const day = 86_400_000;
  return p.years * 365.2425 * day + p.months * 30.436875 * day + (p.weeks * 7 + p.days) * day + p.hours * 3_600_000 + p.minutes * 60_000 + p.millis;
}

/**
 * Parses a schedule. `zoneId` (scheduleTimeZone) re-interprets the start's wall-clock fields in that zone and
 * ignores the written offset (upstream semantics); without it the written offset (default UTC) is a fixed zone.
 * An empty start means `now`. Throws ScheduleError with an upstream-like message.
 */
export function parseSchedule(text: string, zoneId: string, now: number): Schedule {
  const m = /^(R\d*)\/(.*)\/(P.*)$/.exec(text);
  if (m === null) throw new ScheduleError(`Cannot parse schedule '${text}'`);
  const countText = (m[1] ?? 'R').slice(1);
  const count = countText === '' ? undefined : Number(countText);
  if (count !== undefined && !Number.isSafeInteger(count)) throw new ScheduleError(`Cannot parse schedule '${text}': repetition count overflows`);
  let period: Period;
  try {
    period = parsePeriod(m[3] ?? '');
  } catch {
    throw new ScheduleError(`Cannot parse schedule '${text}': invalid period '${m[3] ?? ''}'`);
  }
  if (isZeroPeriod(period) && count !== 0 && count !== 1) throw new ScheduleError(`Cannot parse schedule '${text}': the period must be greater than zero`);
  let zone: Zone | undefined = zoneId.trim() === '' ? undefined : resolveZone(zoneId);
  if (zone === undefined && zoneId.trim() !== '') throw new ScheduleError(`Unknown scheduleTimeZone '${zoneId}'`);
  const startText = m[2] ?? '';
  let start: Wall;
  if (startText === '') {
    zone ??= { kind: 'fixed', offsetMs: 0 };
    start = toWall(zone, now);
  } else {
    const s = START_RE.exec(startText);
    if (s === null) throw new ScheduleError(`Cannot parse schedule '${text}': invalid start '${startText}'`);
    const num = (i: number, d: number): number => (s[i] === undefined ? d : Number(s[i]));
    start = {
      year: num(1, 0),
      month: num(2, 1),
      day: num(3, 1),
      hour: num(4, 0),
      minute: num(5, 0),
      second: num(6, 0),
      ms: s[7] === undefined ? 0 : Number(s[7].slice(0, 3).padEnd(3, '0')),
    };
    if (start.month < 1 || start.month > 12 || start.day < 1 || start.day > daysInMonth(start.year, start.month) || start.hour > 23 || start.minute > 59 || start.second > 59) {
      throw new ScheduleError(`Cannot parse schedule '${text}': invalid start '${startText}'`);
    }
    if (zone === undefined) {
      const off = s[8] === undefined ? 0 : parseOffset(s[8]);
      if (off === undefined) throw new ScheduleError(`Cannot parse schedule '${text}': invalid offset`);
      zone = { kind: 'fixed', offsetMs: off };
    }
  }
  const startMs = fromWall(zone, start);
  if (startMs < MIN_START_MS) throw new ScheduleError(`Schedule '${text}' starts before 1970-01-01T00:00:01Z`);
  return { count, start, zone, period, startMs };
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The instant of occurrence k (k ≥ 0) of the schedule's immutable anchor. */
export function occurrenceAt(s: Schedule, k: number): number {
  const p = s.period;
  const monthIndex = s.start.month - 1 + k * (p.months + 12 * p.years);
  const year = s.start.year + Math.floor(monthIndex / 12);
  const month = (((monthIndex % 12) + 12) % 12) + 1;
  const day = Math.min(s.start.day, daysInMonth(year, month));
  // Days go through wallAsUtc so month and year roll over on the wall calendar.
  const shifted = new Date(wallAsUtc({ ...s.start, year, month, day }) + k * (p.weeks * 7 + p.days) * 86_400_000);
  const wall: Wall = {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: s.start.hour,
    minute: s.start.minute,
    second: s.start.second,
    ms: s.start.ms,
  };
  return fromWall(s.zone, wall) + k * (p.hours * 3_600_000 + p.minutes * 60_000 + p.millis);
}

/** The smallest k ≥ from with occurrenceAt(k) ≥ t. A zero period has only occurrence 0. */
export function firstIndexAtOrAfter(s: Schedule, t: number, from = 0): number {
  if (isZeroPeriod(s.period)) return from === 0 && s.startMs >= t ? 0 : Math.max(from, 1);
  const len = approxLengthMs(s.period);
  let k = Math.max(from, Math.floor((t - s.startMs) / len));
  while (k > from && occurrenceAt(s, k - 1) >= t) k--;
  while (occurrenceAt(s, k) < t) k++;
  return k;
}

/** `yyyy-MM-ddTHH:mm:ss.SSS` + `Z` or `±HH:MM` in the zone (spec §4.2). */
export function formatInstant(zone: Zone, instant: number): string {
  const w = toWall(zone, instant);
  const date = `${pad(w.year, 4)}-${pad(w.month, 2)}-${pad(w.day, 2)}`;
  return `${date}T${pad(w.hour, 2)}:${pad(w.minute, 2)}:${pad(w.second, 2)}.${pad(w.ms, 3)}${formatOffset(offsetAt(zone, instant))}`;
}

/** `R[n]/<start>/<period>`; count undefined = infinite. */
export function formatSchedule(count: number | undefined, zone: Zone, startMs: number, period: Period): string {
  return `R${count === undefined ? '' : String(count)}/${formatInstant(zone, startMs)}/${period.text}`;
}

/** Parses an ISO 8601 duration used as `epsilon` (e.g. `PT60S`) to ms; calendar fields use nominal lengths. */
export function parseEpsilon(text: string): number {
  const p = parsePeriod(text);
  return approxLengthMs(p);
}
