/**
 * Time zones for job schedules (spec §4.3): IANA ids validated through Intl, the Java three-letter ids
 * Chronos users rely on mapped explicitly, fixed offsets (`Z`, `+02:00`, `GMT-05:00`). Conversions between
 * wall-clock fields and instants follow Joda's lenient rules: a wall time inside a DST gap moves forward by
 * the gap, an ambiguous wall time (overlap) takes the earlier instant.
 */

export type Zone = { readonly kind: 'fixed'; readonly offsetMs: number } | { readonly kind: 'iana'; readonly id: string };

/** Wall-clock fields; month is 1–12. */
export interface Wall {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly ms: number;
}

/** Java's legacy three-letter ids as Joda resolves them (spec §4.3); `BST` really is Asia/Dhaka. */
export const LEGACY_ZONE_IDS: Readonly<Record<string, string>> = {
  PST: 'America/Los_Angeles',
  EST: 'America/New_York',
  MST: 'America/Denver',
  HST: 'Pacific/Honolulu',
  BST: 'Asia/Dhaka',
  IST: 'Asia/Kolkata',
  CST: 'America/Chicago',
  ECT: 'Europe/Paris',
  JST: 'Asia/Tokyo',
  AET: 'Australia/Sydney',
};

const UTC: Zone = { kind: 'fixed', offsetMs: 0 };
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Parses `±hh`, `±hh:mm`, `±hhmm` (or `Z`) to milliseconds; undefined when it is not an offset. */
export function parseOffset(text: string): number | undefined {
  if (text === 'Z') return 0;
  const m = /^([+-])(\d{2})(?::?(\d{2}))?$/.exec(text);
  if (m === null) return undefined;
  const h = Number(m[2]);
  const min = Number(m[3] ?? '0');
  if (h > 23 || min > 59) return undefined;
  return (m[1] === '-' ? -1 : 1) * (h * 60 + min) * 60_000;
}

/** Resolves a `scheduleTimeZone` id; undefined when unknown (the API answers 400). */
export function resolveZone(id: string): Zone | undefined {
  const trimmed = id.trim();
  if (trimmed === '' || trimmed === 'UTC' || trimmed === 'GMT' || trimmed === 'Z') return UTC;
  const gmt = /^(?:GMT|UTC)([+-].+)$/.exec(trimmed);
  if (gmt?.[1] !== undefined) {
    const off = parseOffset(gmt[1]);
    return off === undefined ? undefined : { kind: 'fixed', offsetMs: off };
  }
  const iana = LEGACY_ZONE_IDS[trimmed] ?? trimmed;
  try {
    formatter(iana);
    return { kind: 'iana', id: iana };
  } catch {
    return undefined;
  }
}

function formatter(id: string): Intl.DateTimeFormat {
  let f = formatters.get(id);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: id,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(id, f);
  }
  return f;
}

/** The zone's UTC offset at an instant, in ms. */
export function offsetAt(zone: Zone, instant: number): number {
  if (zone.kind === 'fixed') return zone.offsetMs;
  const secFloor = Math.floor(instant / 1000) * 1000;
  // Memoised per second: jobs sharing a schedule ask for the same instants (1,000 jobs due at once), and
  // each Intl call costs microseconds.
  let memo = offsetMemo.get(zone.id);
  if (memo === undefined) offsetMemo.set(zone.id, (memo = new Map<number, number>()));
  const hit = memo.get(secFloor);
  if (hit !== undefined) return hit;
  if (memo.size >= OFFSET_MEMO_LIMIT) memo.clear();
  const off = intlOffset(zone.id, secFloor);
  memo.set(secFloor, off);
  return off;
}

const OFFSET_MEMO_LIMIT = 50_000;
const offsetMemo = new Map<string, Map<number, number>>();

function intlOffset(id: string, secFloor: number): number {
  const parts = formatter(id).formatToParts(new Date(secFloor));
  const get = (t: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === t)?.value ?? '0');
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - secFloor;
}

/** Wall-clock fields of an instant in a zone. */
export function toWall(zone: Zone, instant: number): Wall {
  const d = new Date(instant + offsetAt(zone, instant));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    ms: d.getUTCMilliseconds(),
  };
}

/** The wall fields read as if they were UTC (no normalisation beyond Date.UTC's). */
export function wallAsUtc(w: Wall): number {
  const d = new Date(0);
  d.setUTCFullYear(w.year, w.month - 1, w.day);
  d.setUTCHours(w.hour, w.minute, w.second, w.ms);
  return d.getTime();
}

/** The instant of wall-clock fields in a zone: gap → moved forward by the gap; overlap → earlier instant. */
export function fromWall(zone: Zone, w: Wall): number {
  const local = wallAsUtc(w);
  if (zone.kind === 'fixed') return local - zone.offsetMs;
  const before = offsetAt(zone, local - 86_400_000);
  const after = offsetAt(zone, local + 86_400_000);
  const t1 = local - before;
  const t2 = local - after;
  const ok1 = offsetAt(zone, t1) === before;
  const ok2 = offsetAt(zone, t2) === after;
  if (ok1 && ok2) return Math.min(t1, t2);
  if (ok1) return t1;
  if (ok2) return t2;
  // In a gap: the wall time read with the offset before the transition lands just after it (Joda lenient).
  return t1;
}

/** `Z` or `±HH:MM`, as Joda prints offsets. */
export function formatOffset(offsetMs: number): string {
  if (offsetMs === 0) return 'Z';
  const sign = offsetMs < 0 ? '-' : '+';
  const abs = Math.abs(offsetMs) / 60_000;
  return `${sign}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
}

export function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
