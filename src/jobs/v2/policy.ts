/**
 * Pure `/v2` policies (spec §8.4 with the §9 fixes), applied by the engine:
 * - cronStep: which run records a cron schedule creates when the loop wakes. The newest occurrence ≤ now is
 *   the current one (it runs if it is within startingDeadlineSeconds); older untaken ones were missed while
 *   the scheduler was down or late and follow `catchUp` (SKIP: all MISSED; RUN_ONCE: the newest runs when there
 *   is no current one; BACKFILL: the newest `catchUpLimit` run). Then `concurrencyPolicy` (ALLOW: all run;
 *   FORBID: skipped as MISSED while any run of the job is active; REPLACE: active runs are stopped and only
 *   the newest runs). Every occurrence not run gets a MISSED record (the newest MAX_MISSED_LISTED per step).
 * - startDeadline / retryDecision: the starting deadline of a run and whether a failed attempt is relaunched,
 *   for both dialects (Chronos `epsilon` and `retries`; /v2 `startingDeadlineSeconds` and `restart`).
 */
import type { Cron } from '../schedule/cron.js';
import { nextCron } from '../schedule/cron.js';
import type { Zone } from '../schedule/zone.js';
import { MAX_MISSED_LISTED } from '../schedule/cursor.js';
import type { JobRecord, RunRecord } from '../state/records.js';
import { epsilonOf, newRun } from '../engine/outcomes.js';
import type { V2ScheduleSpec } from './spec.js';

export interface CronStep {
  /** New records, oldest occurrence first: QUEUED runs and MISSED (terminal) ones. */
  readonly create: readonly RunRecord[];
  /** Active runs to stop (REPLACE). */
  readonly stop: readonly RunRecord[];
  /** The newest occurrence looked at: the schedule's new `lastTaken`. */
  readonly lastTaken: number;
}

/** Occurrences enumerated per wake at most; a longer backlog continues on the next (immediate) wake. */
export const MAX_OCCURRENCES_PER_STEP = 10_000;

/** The run id of a scheduled occurrence: the key that makes taking it idempotent. */
export const occurrenceRunId = (at: number): string => `occ-${at}`;

/** undefined when nothing is due. `active` = the job's active runs. */
export function cronStep(job: string, sched: V2ScheduleSpec, cron: Cron, zone: Zone, lastTaken: number, now: number, active: readonly RunRecord[]): CronStep | undefined {
  const occ: number[] = [];
  for (let t = nextCron(cron, zone, lastTaken); t !== undefined && t <= now && occ.length < MAX_OCCURRENCES_PER_STEP; t = nextCron(cron, zone, t)) occ.push(t);
  const newest = occ.at(-1);
  if (newest === undefined) return undefined;
  const deadline = sched.startingDeadlineSeconds * 1000;
  const current = newest >= now - deadline ? newest : undefined;
  const missed = current === undefined ? occ : occ.slice(0, -1);
  let catchUp: number[] = [];
  if (sched.catchUp === 'RUN_ONCE' && current === undefined) catchUp = missed.slice(-1);
  if (sched.catchUp === 'BACKFILL') catchUp = missed.slice(-sched.catchUpLimit);
  const toRun = [...catchUp, ...(current !== undefined ? [current] : [])];
  const runSet = new Set(toRun);
  const reasons = new Map<number, string>();
  for (const at of missed) if (!runSet.has(at)) reasons.set(at, `missed: the scheduler was not running (catchUp ${sched.catchUp})`);
  let stop: RunRecord[] = [];
  if (sched.concurrencyPolicy === 'FORBID') {
    let busy = active.length > 0;
    for (const at of toRun) {
      if (busy) reasons.set(at, 'skipped: a run is still active (concurrencyPolicy FORBID)');
      busy = true;
    }
  } else if (sched.concurrencyPolicy === 'REPLACE') {
    if (toRun.length > 0) stop = [...active];
    for (const at of toRun.slice(0, -1)) reasons.set(at, 'skipped: replaced by a newer occurrence (concurrencyPolicy REPLACE)');
  }
  const create: RunRecord[] = [];
  const skipped = occ.filter((at) => reasons.has(at));
  const listed = new Set(skipped.slice(-MAX_MISSED_LISTED));
  for (const at of occ) {
    const base = { ...newRun(job, occurrenceRunId(at), 'scheduled', at, '', now), occurrence: at };
    const reason = reasons.get(at);
    if (reason === undefined) create.push(base);
    else if (listed.has(at)) create.push({ ...base, status: 'MISSED', finishedAt: now, message: skipped.length > listed.size ? `${reason}; ${skipped.length} occurrences skipped, the newest ${listed.size} recorded` : reason });
  }
  return { create, stop, lastTaken: newest };
}

/**
 * The instant by which a run must have started, or undefined: Chronos runs with `epsilon` (from the occurrence),
 * /v2 scheduled runs (startingDeadlineSeconds from creation, as Metronome measures). Manual runs have none.
 */
export function startDeadline(rec: JobRecord, run: RunRecord): number | undefined {
  if (run.trigger !== 'scheduled' || run.attempt > 0) return undefined;
  if (rec.v2 !== undefined) {
    const s = rec.v2.schedules[0];
    return run.createdAt + (s?.startingDeadlineSeconds ?? 900) * 1000;
  }
  const eps = epsilonOf(rec.job);
  return eps === undefined || run.occurrence === undefined ? undefined : run.occurrence + eps;
}

/** A QUEUED first attempt past its starting deadline: it becomes MISSED. */
export function pastStartDeadline(rec: JobRecord, run: RunRecord, now: number): boolean {
  const d = startDeadline(rec, run);
  return run.status === 'QUEUED' && d !== undefined && now > d;
}

/** First relaunch delay of ON_FAILURE; doubled per attempt up to `maxLaunchDelay`. */
export const RESTART_BACKOFF_MS = 1_000;

/**
 * Whether a failed attempt is relaunched and after how long; undefined = the run fails. Chronos: `retries`
 * attempts after `failureRetryMs`. /v2: NEVER fails at once; ON_FAILURE relaunches with backoff while the
 * relaunch falls before createdAt + activeDeadlineSeconds (forever when unset).
 */
export function retryDecision(rec: JobRecord, run: RunRecord, now: number, failureRetryMs: number): { delayMs: number } | { reason: string } {
  if (rec.v2 === undefined) return run.attempt < rec.job.retries ? { delayMs: failureRetryMs } : { reason: 'retries exhausted' };
  const { restart, maxLaunchDelay } = rec.v2.spec.run;
  if (restart.policy === 'NEVER') return { reason: 'restart policy NEVER' };
  const delayMs = Math.min(maxLaunchDelay * 1000, RESTART_BACKOFF_MS * 2 ** Math.min(run.attempt, 30));
  if (restart.activeDeadlineSeconds !== undefined && now + delayMs >= run.createdAt + restart.activeDeadlineSeconds * 1000) {
    return { reason: `activeDeadlineSeconds (${restart.activeDeadlineSeconds}) reached` };
  }
  return { delayMs };
}
