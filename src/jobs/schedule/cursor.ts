/**
 * Where a scheduled job stands on its grid, and what is due at an instant. Pure: the engine persists the
 * returned cursor together with the run records it creates, so an occurrence is taken exactly once.
 *
 * - `nextIndex` is the grid index of the next occurrence not yet taken; `consumed` counts repetitions used.
 *   Only scheduled occurrences consume the count (retries and manual runs never do), and it never goes below 0.
 * - With `epsilon`, an occurrence older than `now − epsilon` is missed (recorded, consumes one repetition) and
 *   every occurrence within epsilon gets its own run. Without epsilon, past occurrences collapse into one run
 *   for the latest of them (Chronos v3: never skip, one repetition consumed).
 */
import { firstIndexAtOrAfter, formatSchedule, occurrenceAt, type Schedule } from './iso8601.js';

export interface Cursor {
  readonly nextIndex: number;
  readonly consumed: number;
}

export interface Occurrence {
  readonly index: number;
  readonly at: number;
}

export interface DueResult {
  /** Occurrences to run now, oldest first. */
  readonly runs: readonly Occurrence[];
  /** Missed occurrences (at most MAX_MISSED_LISTED, the newest); `missedCount` is the full number. */
  readonly missed: readonly Occurrence[];
  readonly missedCount: number;
  /** Occurrences folded into the single run when there is no epsilon. */
  readonly collapsed: number;
  readonly cursor: Cursor;
}

export const MAX_MISSED_LISTED = 100;
export const START_CURSOR: Cursor = { nextIndex: 0, consumed: 0 };

/** Repetitions left; undefined = infinite. */
export function remaining(s: Schedule, c: Cursor): number | undefined {
  return s.count === undefined ? undefined : Math.max(0, s.count - c.consumed);
}

/** The instant of the next untaken occurrence, or undefined when the count is exhausted. */
export function nextDue(s: Schedule, c: Cursor): number | undefined {
  if (remaining(s, c) === 0) return undefined;
  return occurrenceAt(s, c.nextIndex);
}

/** What is due at `now` (see the file comment). Nothing is due before the next occurrence. */
export function takeDue(s: Schedule, c: Cursor, now: number, epsilonMs: number | undefined): DueResult {
  const none: DueResult = { runs: [], missed: [], missedCount: 0, collapsed: 0, cursor: c };
  const rem = remaining(s, c);
  if (rem === 0) return none;
  if (occurrenceAt(s, c.nextIndex) > now) return none;
  // Last index with occurrence ≤ now.
  let last = firstIndexAtOrAfter(s, now + 1, c.nextIndex) - 1;
  if (epsilonMs === undefined) {
    return {
      runs: [{ index: last, at: occurrenceAt(s, last) }],
      missed: [],
      missedCount: 0,
      collapsed: last - c.nextIndex,
      cursor: { nextIndex: last + 1, consumed: c.consumed + 1 },
    };
  }
  // Each occurrence taken consumes a repetition, so only as many as are left can be taken.
  if (rem !== undefined) last = Math.min(last, c.nextIndex + rem - 1);
  // Occurrences with at + epsilon < now are missed; find the first one still within epsilon.
  const firstLive = Math.min(firstIndexAtOrAfter(s, now - epsilonMs, c.nextIndex), last + 1);
  const missedCount = firstLive - c.nextIndex;
  const missed: Occurrence[] = [];
  for (let k = Math.max(c.nextIndex, firstLive - MAX_MISSED_LISTED); k < firstLive; k++) missed.push({ index: k, at: occurrenceAt(s, k) });
  const runs: Occurrence[] = [];
  for (let k = firstLive; k <= last; k++) runs.push({ index: k, at: occurrenceAt(s, k) });
  return { runs, missed, missedCount, collapsed: 0, cursor: { nextIndex: last + 1, consumed: c.consumed + missedCount + runs.length } };
}

/** The schedule as clients expect to read it back: the next start and the repetitions left (spec §4.4). */
export function rewrittenSchedule(s: Schedule, c: Cursor): string {
  const rem = remaining(s, c);
  const at = rem === 0 ? occurrenceAt(s, Math.max(0, c.nextIndex - 1)) : occurrenceAt(s, c.nextIndex);
  return formatSchedule(rem, s.zone, at, s.period);
}

/**
 * The cursor once the occurrence at instant `taken` is known to be taken (a run record exists for it). Compared
 * by instant, so a run recorded under an earlier anchor of the job never moves the cursor backwards or by index.
 */
export function cursorPast(s: Schedule, c: Cursor, taken: number): Cursor {
  const next = nextDue(s, c);
  if (next === undefined || taken < next) return c;
  return { nextIndex: firstIndexAtOrAfter(s, taken + 1, c.nextIndex), consumed: c.consumed + 1 };
}
