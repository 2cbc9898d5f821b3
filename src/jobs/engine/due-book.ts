/**
 * The engine's schedule book: each scheduled job's parsed schedule (ISO 8601 or cron) and next due instant,
 * kept in a min-heap so a wake costs O(due · log n), never a scan of every job (100,000 idle jobs cost nothing
 * per wake). The heap is lazy: an entry is live only while it equals the job's current next instant.
 */
import type { JobJson } from '../api/job-schema.js';
import { parseCron, type Cron } from '../schedule/cron.js';
import { nextCron } from '../schedule/cron.js';
import { cursorPast, nextDue, rewrittenSchedule } from '../schedule/cursor.js';
import { parseSchedule, type Schedule } from '../schedule/iso8601.js';
import { resolveZone, type Zone } from '../schedule/zone.js';
import type { JobRecord, RunRecord } from '../state/records.js';
import type { V2ScheduleSpec } from '../v2/spec.js';

export type DueEntry = { readonly kind: 'iso'; readonly s: Schedule; readonly src: string } | { readonly kind: 'cron'; readonly cron: Cron; readonly zone: Zone; readonly spec: V2ScheduleSpec };

/** Parsed crons by text: parsing checks satisfiability over a 28-year cycle, too slow to repeat per write. */
const cronCache = new Map<string, Cron>();
function cronOf(text: string): Cron {
  let c = cronCache.get(text);
  if (c === undefined) {
    c = parseCron(text);
    if (cronCache.size > 10_000) cronCache.clear();
    cronCache.set(text, c);
  }
  return c;
}

/** The schedule a record is driven by, if any. */
export function entryOf(rec: JobRecord, now: number): DueEntry | undefined {
  if (rec.v2 !== undefined) {
    const spec = rec.v2.schedules[0];
    const zone = spec === undefined ? undefined : resolveZone(spec.timezone);
    return spec === undefined || zone === undefined ? undefined : { kind: 'cron', cron: cronOf(spec.cron), zone, spec };
  }
  return rec.job.schedule === undefined ? undefined : { kind: 'iso', s: parseSchedule(rec.job.schedule, rec.job.scheduleTimeZone ?? '', now), src: isoSource(rec) };
}

const isoSource = (rec: JobRecord): string => `${rec.job.schedule ?? ''}\u0000${rec.job.scheduleTimeZone ?? ''}`;

/** The entry still describes the record's schedule (a stored schedule text never changes meaning: ADR 0020). */
function stillValid(e: DueEntry, rec: JobRecord): boolean {
  return e.kind === 'iso' ? rec.v2 === undefined && rec.job.schedule !== undefined && e.src === isoSource(rec) : e.spec === rec.v2?.schedules[0];
}

/** The cron schedule's last taken occurrence (or the instant it was armed). */
export function lastTakenOf(rec: JobRecord, spec: V2ScheduleSpec): number {
  return rec.v2?.lastTaken[spec.id] ?? rec.v2?.createdAt ?? 0;
}

function nextOf(rec: JobRecord, e: DueEntry): number {
  if (e.kind === 'iso') return rec.job.disabled ? Infinity : (nextDue(e.s, rec.cursor) ?? Infinity);
  return e.spec.enabled ? (nextCron(e.cron, e.zone, lastTakenOf(rec, e.spec)) ?? Infinity) : Infinity;
}

/**
 * A record as loaded after a restart, with the schedule position moved past every occurrence that already has
 * a run record (a crash between writing the run and the job record must not take the occurrence twice).
 */
export function recoverRecord(rec: JobRecord, runs: readonly RunRecord[], now: number): JobRecord {
  const e = entryOf(rec, now);
  const taken = runs.filter((r) => r.trigger === 'scheduled' && r.occurrence !== undefined).map((r) => r.occurrence ?? 0).sort((a, b) => a - b);
  if (e?.kind === 'iso') {
    let cursor = rec.cursor;
    for (const at of taken) cursor = cursorPast(e.s, cursor, at);
    return cursor === rec.cursor ? rec : { ...rec, cursor };
  }
  const last = taken.at(-1);
  if (e?.kind !== 'cron' || rec.v2 === undefined || last === undefined || last <= lastTakenOf(rec, e.spec)) return rec;
  return { ...rec, v2: { ...rec.v2, lastTaken: { ...rec.v2.lastTaken, [e.spec.id]: last } } };
}

export class DueBook {
  private readonly entries = new Map<string, DueEntry>();
  private readonly nextAt = new Map<string, number>();
  private readonly heap: Array<{ at: number; name: string }> = [];

  /** (Re)computes a job's schedule and next due instant. */
  set(rec: JobRecord, now: number): void {
    const name = rec.job.name;
    // Parsed once per schedule change, not per write (every run completion saves the job record).
    const old = this.entries.get(name);
    const e = old !== undefined && stillValid(old, rec) ? old : entryOf(rec, now);
    if (e === undefined) return this.delete(name);
    this.entries.set(name, e);
    const at = nextOf(rec, e);
    if (this.nextAt.get(name) === at) return;
    if (at === Infinity) {
      this.nextAt.delete(name);
      return;
    }
    this.nextAt.set(name, at);
    this.push({ at, name });
  }

  delete(name: string): void {
    this.entries.delete(name);
    this.nextAt.delete(name);
  }

  entry(name: string): DueEntry | undefined {
    return this.entries.get(name);
  }

  /** Jobs with an occurrence due at `now`, each once; they leave the heap until `set` is called again. */
  takeDue(now: number): string[] {
    return this.takeUntil(now).map((d) => d.name);
  }

  /**
   * Jobs whose next occurrence falls at or before `horizon`, each once with that instant, earliest first; they
   * leave the heap until `set` is called again (the engine takes occurrences a little ahead: ADR 0045).
   */
  takeUntil(horizon: number): Array<{ name: string; at: number }> {
    const out: Array<{ name: string; at: number }> = [];
    for (let top = this.heap[0]; top !== undefined && top.at <= horizon; top = this.heap[0]) {
      this.pop();
      if (this.nextAt.get(top.name) !== top.at) continue;
      this.nextAt.delete(top.name);
      out.push(top);
    }
    return out;
  }

  /** The earliest due instant (Infinity: none). */
  next(): number {
    for (let top = this.heap[0]; top !== undefined; top = this.heap[0]) {
      if (this.nextAt.get(top.name) === top.at) return top.at;
      this.pop();
    }
    return Infinity;
  }

  /** The job as served by the Chronos API: an ISO schedule rewritten to the next start and remaining count. */
  served(rec: JobRecord): JobJson {
    const e = this.entries.get(rec.job.name);
    return e?.kind === 'iso' ? { ...rec.job, schedule: rewrittenSchedule(e.s, rec.cursor) } : rec.job;
  }

  private push(x: { at: number; name: string }): void {
    const h = this.heap;
    h.push(x);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      const [hp, hi] = [h[p], h[i]];
      if (hp === undefined || hi === undefined || hp.at <= hi.at) break;
      [h[p], h[i]] = [hi, hp];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    h[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if ((h[l]?.at ?? Infinity) < (h[m]?.at ?? Infinity)) m = l;
      if ((h[r]?.at ?? Infinity) < (h[m]?.at ?? Infinity)) m = r;
      if (m === i) return;
      const [hm, hi] = [h[m], h[i]];
      if (hm === undefined || hi === undefined) return;
      [h[m], h[i]] = [hi, hm];
      i = m;
    }
  }
}
