/**
 * What a scheduled job does when the loop wakes (pure): which run records to create for due occurrences, or,
 * when a run of the job is still waiting for offers and the job has no epsilon, folding the new occurrence
 * into that run (one waiting run per job, as Chronos v3 keeps; a backlog never builds up). Folding consumes no
 * repetition. With epsilon, waiting runs expire instead (expiredByEpsilon) and each occurrence gets its own run.
 */
import type { JobJson } from '../api/job-schema.js';
import type { Schedule } from '../schedule/iso8601.js';
import { takeDue, type Cursor } from '../schedule/cursor.js';
import type { RunRecord } from '../state/records.js';
import { epsilonOf, occurrenceRuns } from './outcomes.js';

export interface ScheduleStep {
  /** New run records (QUEUED, or MISSED already terminal). */
  readonly create: readonly RunRecord[];
  /** The waiting run with the new occurrence folded in. */
  readonly fold?: RunRecord;
  readonly cursor: Cursor;
}

/** undefined when nothing is due. `active` = the job's active runs. */
export function scheduleStep(job: JobJson, s: Schedule, cursor: Cursor, now: number, active: readonly RunRecord[]): ScheduleStep | undefined {
  const eps = epsilonOf(job);
  const due = takeDue(s, cursor, now, eps);
  if (due.runs.length === 0 && due.missedCount === 0) return undefined;
  const waiting = eps === undefined ? active.find((r) => r.trigger === 'scheduled' && r.status === 'QUEUED' && r.attempt === 0) : undefined;
  if (waiting !== undefined) {
    return { create: [], fold: { ...waiting, collapsed: (waiting.collapsed ?? 0) + due.collapsed + 1 }, cursor: { nextIndex: due.cursor.nextIndex, consumed: cursor.consumed } };
  }
  return { create: occurrenceRuns(job.name, due, now), cursor: due.cursor };
}

/** A first attempt of a scheduled run that could not start within the job's epsilon of its occurrence. */
export function expiredByEpsilon(run: RunRecord, job: JobJson, now: number): boolean {
  const eps = epsilonOf(job);
  if (eps === undefined || run.status !== 'QUEUED' || run.trigger !== 'scheduled' || run.attempt > 0 || run.occurrence === undefined) return false;
  return now > run.occurrence + eps;
}
