/**
 * Cron expressions as Metronome reads them (spec §8.3): `min hour dom month dow` plus an optional year, with
 * `*`, `?`, lists, ranges, steps (`a-b/n`, `*\/n`, `a/n`), month and weekday names, `L` (last day of the month) in
 * the day-of-month field and DOW 0–7 (0 and 7 = Sunday). Unlike Unix cron, day-of-month AND day-of-week must both
 * match. Expressions that can never fire (e.g. `0 0 31 2 *`) are rejected at parse time instead of hanging.
 *
 * Occurrences are evaluated in an IANA zone through zone.ts: a wall time inside a DST gap runs once, moved forward
 * by the gap (02:30 on spring-forward day → 03:30); a wall time that happens twice (autumn overlap) runs once, at
 * the earlier instant. Each day is computed from its own wall clock, so a shift never carries into later days.
 */
import { fromWall, offsetAt, toWall, type Zone } from './zone.js';

export class CronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronError';
  }
}

export interface Cron {
  readonly text: string;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  /** Days of month 1–31; `lastDay` adds the month's last day. */
  readonly days: ReadonlySet<number>;
  readonly lastDay: boolean;
  readonly months: ReadonlySet<number>;
  /** 0–6, Sunday = 0. */
  readonly weekdays: ReadonlySet<number>;
  readonly years?: ReadonlySet<number>;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** Parses a cron expression; throws CronError with a short message. */
export function parseCron(text: string): Cron {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) throw new CronError(`Cron '${text}' must have 5 fields (min hour dom month dow) and an optional year`);
  const [min, hour, dom, mon, dow, year] = parts as [string, string, string, string, string, string | undefined];
  const lastDay = dom.toUpperCase() === 'L';
  const cron: Cron = {
    text: parts.join(' '),
    minutes: [...field(min, 0, 59, 'minute')].sort((a, b) => a - b),
    hours: [...field(hour, 0, 23, 'hour')].sort((a, b) => a - b),
    days: lastDay ? new Set() : field(dom, 1, 31, 'day of month'),
    lastDay,
    months: field(mon, 1, 12, 'month', MONTHS, 1),
    weekdays: new Set([...field(dow, 0, 7, 'day of week', DAYS, 0)].map((d) => d % 7)),
    ...(year !== undefined ? { years: field(year, 1970, 2199, 'year') } : {}),
  };
  if (!possible(cron)) throw new CronError(`Cron '${text}' never fires (no date matches its day, month, weekday and year)`);
  return cron;
}

function field(text: string, lo: number, hi: number, what: string, names: readonly string[] = [], nameBase = 0): Set<number> {
  const out = new Set<number>();
  const value = (v: string): number => {
    const byName = names.indexOf(v.toUpperCase());
    const n = byName >= 0 ? byName + nameBase : /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < lo || n > hi) throw new CronError(`Invalid ${what} '${v}' (allowed ${lo}-${hi})`);
    return n;
  };
  for (const item of text.split(',')) {
    const [range = '', stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new CronError(`Invalid step '${stepText ?? ''}' in ${what}`);
    let a: number;
    let b: number;
    if (range === '*' || range === '?') [a, b] = [lo, hi];
    else if (range.includes('-')) {
      const [x = '', y = ''] = range.split('-');
      [a, b] = [value(x), value(y)];
      if (a > b) throw new CronError(`Invalid ${what} range '${range}'`);
    } else {
      a = value(range);
      b = stepText === undefined ? a : hi;
    }
    for (let v = a; v <= b; v += step) out.add(v);
  }
  return out;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function dayMatches(c: Cron, year: number, month: number, day: number): boolean {
  if (!c.months.has(month) || (c.years !== undefined && !c.years.has(year))) return false;
  const last = daysIn(year, month);
  if (day > last) return false;
  const domOk = c.lastDay ? day === last : c.days.has(day);
  return domOk && c.weekdays.has(new Date(Date.UTC(year, month - 1, day)).getUTCDay());
}

/** Some date within the 28-year calendar cycle (or the listed years) matches. */
function possible(c: Cron): boolean {
  const years = c.years !== undefined ? [...c.years] : Array.from({ length: 28 }, (_, i) => 2000 + i);
  for (const y of years) for (let m = 1; m <= 12; m++) for (let d = 1; d <= 31; d++) if (dayMatches(c, y, m, d)) return true;
  return false;
}

/** Day limit of a search: the longest gap between matching days is bounded by the 28-year calendar cycle. */
const MAX_DAYS = 366 * 29;

/** The first occurrence strictly after `after` in `zone`; undefined when none is left (year field exhausted). */
export function nextCron(c: Cron, zone: Zone, after: number): number | undefined {
  const start = toWall(zone, after);
  // Earlier wall times on the first day never map after `after`, except a gap-shifted time when a DST
  // transition happened in the last hours (02:30 → 03:30 while `after` is 03:10): look back 2 h only then.
  const shifted = zone.kind === 'iana' && offsetAt(zone, after) !== offsetAt(zone, after - 3 * 3_600_000);
  const startMinute = start.hour * 60 + start.minute - (shifted ? 120 : 0);
  let day = Date.UTC(start.year, start.month - 1, start.day);
  for (let i = 0; i < MAX_DAYS; i++, day += 86_400_000) {
    const d = new Date(day);
    const [year, month, dom] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
    if (c.years !== undefined && year > Math.max(...c.years)) return undefined;
    // A month (or year) that cannot match is skipped whole: yearly crons cost ~12 steps, not ~365.
    if (!c.months.has(month) || (c.years !== undefined && !c.years.has(year))) {
      day = Date.UTC(year, month, 1) - 86_400_000;
      continue;
    }
    if (!dayMatches(c, year, month, dom)) continue;
    for (const h of c.hours) {
      for (const m of c.minutes) {
        if (i === 0 && h * 60 + m < startMinute) continue;
        const at = fromWall(zone, { year, month, day: dom, hour: h, minute: m, second: 0, ms: 0 });
        if (at > after) return at;
      }
    }
  }
  return undefined;
}
