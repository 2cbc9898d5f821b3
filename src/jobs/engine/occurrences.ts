/**
 * What one wake does to one due scheduled job (pure): the run records to create (QUEUED or MISSED), a
 * waiting run to update (ISO 8601 fold), active runs to stop (REPLACE), and the job record with its schedule
 * position moved. The engine writes the records of every due job of a wake in one Store batch, runs before
 * nothing launches, so an occurrence is taken exactly once whatever crashes in between.
 */
import { cronStep } from '../v2/policy.js';
import type { JobRecord, RunRecord } from '../state/records.js';
import { lastTakenOf, type DueEntry } from './due-book.js';
import { scheduleStep } from './schedule-step.js';

export interface OccurrencePlan {
  readonly create: readonly RunRecord[];
  readonly update: readonly RunRecord[];
  readonly stop: readonly RunRecord[];
  readonly rec: JobRecord;
}

/** undefined when nothing is due. `active` = the job's active runs. */
export function planOccurrences(rec: JobRecord, e: DueEntry | undefined, active: readonly RunRecord[], now: number): OccurrencePlan | undefined {
  if (e?.kind === 'iso') {
    const step = scheduleStep(rec.job, e.s, rec.cursor, now, active);
    if (step === undefined) return undefined;
    return { create: step.create, update: step.fold === undefined ? [] : [step.fold], stop: [], rec: { ...rec, cursor: step.cursor } };
  }
  if (e?.kind !== 'cron' || rec.v2 === undefined) return undefined;
  const step = cronStep(rec.job.name, e.spec, e.cron, e.zone, lastTakenOf(rec, e.spec), now, active);
  if (step === undefined) return undefined;
  return { create: step.create, update: [], stop: step.stop, rec: { ...rec, v2: { ...rec.v2, lastTaken: { ...rec.v2.lastTaken, [e.spec.id]: step.lastTaken } } } };
}
