/**
 * Pure rules for what a task outcome does to a run and its job (spec §6.3, §6.4 with the §9 fixes): every
 * terminal state other than FINISHED and KILLED is a failed attempt; a failed attempt is retried while
 * `attempt < retries` (a retry belongs to the same occurrence and never touches the schedule); KILLED ends
 * the run without retry or counters. Success and final failure update the job's counters.
 */
import type { TaskStateName, TaskStatusJson } from '../../api/mesos/common.js';
import type { JobJson } from '../api/job-schema.js';
import type { RunRecord } from '../state/records.js';
import { parseEpsilon } from '../schedule/iso8601.js';
import type { DueResult } from '../schedule/cursor.js';

export type Outcome = 'running' | 'success' | 'failure' | 'killed' | 'ignore';

/** How a task state counts. TASK_UNREACHABLE and TASK_UNKNOWN are not terminal; reconciliation decides. */
export function classify(state: TaskStateName): Outcome {
  switch (state) {
    case 'TASK_STAGING':
    case 'TASK_STARTING':
    case 'TASK_RUNNING':
      return 'running';
    case 'TASK_FINISHED':
      return 'success';
    case 'TASK_KILLED':
      return 'killed';
    case 'TASK_FAILED':
    case 'TASK_LOST':
    case 'TASK_ERROR':
    case 'TASK_DROPPED':
    case 'TASK_GONE':
    case 'TASK_GONE_BY_OPERATOR':
      return 'failure';
    default:
      return 'ignore';
  }
}

/** The job after a success at `now`. */
export function jobAfterSuccess(job: JobJson, now: number): JobJson {
  return { ...job, successCount: job.successCount + 1, errorsSinceLastSuccess: 0, lastSuccess: new Date(now).toISOString() };
}

/**
 * The job after a final failure (retries exhausted) at `now`; with `disableAfter` > 0 (`--disable_after_failures`)
 * the job is disabled once that many final failures happened since its last success.
 */
export function jobAfterFinalFailure(job: JobJson, now: number, disableAfter = 0): JobJson {
  const errorsSinceLastSuccess = job.errorsSinceLastSuccess + 1;
  const disabled = job.disabled || (disableAfter > 0 && errorsSinceLastSuccess >= disableAfter);
  return { ...job, errorCount: job.errorCount + 1, errorsSinceLastSuccess, lastError: new Date(now).toISOString(), disabled };
}

/**
 * The run after a failed attempt: queued again after `retry.delayMs`, or FAILED when the policy says no more
 * (see retryDecision in ../v2/policy.ts for both dialects).
 */
export function runAfterFailure(run: RunRecord, state: string, message: string | undefined, now: number, retry: { delayMs: number } | { reason: string }): RunRecord {
  const exitCode = exitCodeOf(message);
  const attempts = [...run.attempts, { attempt: run.attempt, taskId: run.taskId ?? '', state, finishedAt: now, ...(message !== undefined ? { message } : {}), ...(exitCode !== undefined ? { exitCode } : {}) }];
  const base = { ...run, attempts };
  delete base.taskId;
  delete base.agentId;
  delete base.startedAt;
  if ('delayMs' in retry) return { ...base, status: 'QUEUED', attempt: run.attempt + 1, retryAt: now + retry.delayMs, dueAt: now + retry.delayMs };
  return { ...base, taskId: run.taskId ?? '', status: 'FAILED', finishedAt: now, ...(message !== undefined ? { message } : { message: retry.reason }) };
}

/** The run after its task finished or was killed. */
export function runAfterEnd(run: RunRecord, status: 'SUCCESS' | 'KILLED', state: string, now: number, message?: string): RunRecord {
  const exitCode = status === 'SUCCESS' ? 0 : exitCodeOf(message);
  return { ...run, status, finishedAt: now, attempts: [...run.attempts, { attempt: run.attempt, taskId: run.taskId ?? '', state, finishedAt: now, ...(exitCode !== undefined ? { exitCode } : {}) }] };
}

/** Parents of `child` that have all succeeded since its last trigger, including `parent` now. */
export function parentsAfterSuccess(child: JobJson, parentsDone: readonly string[], parent: string): { done: string[]; trigger: boolean } {
  const done = [...new Set([...parentsDone, parent])].filter((p) => child.parents?.includes(p) === true).sort();
  const trigger = (child.parents ?? []).every((p) => done.includes(p));
  return { done, trigger };
}

const NEVER_RAN: ReadonlySet<string> = new Set(['TASK_LOST', 'TASK_UNKNOWN', 'TASK_GONE', 'TASK_DROPPED']);

/**
 * A status for a LAUNCHING task that means it never started: the master does not know it (reconciliation
 * answer) or refused the launch because the offer was gone (rescinded, or used twice). Such a launch is
 * retried for the same attempt; it is not a failed attempt.
 */
export function neverRan(status: TaskStatusJson, fromReconcile: boolean): boolean {
  if (!NEVER_RAN.has(status.state)) return false;
  return (fromReconcile && status.reason === 'REASON_RECONCILIATION') || status.reason === 'REASON_INVALID_OFFERS';
}

/** The job's `epsilon` start deadline in ms, if it has one. */
export function epsilonOf(job: JobJson): number | undefined {
  return job.epsilon === undefined ? undefined : parseEpsilon(job.epsilon);
}

/** A fresh QUEUED run at attempt 0. */
export function newRun(job: string, id: string, trigger: RunRecord['trigger'], dueAt: number, args: string, createdAt = dueAt): RunRecord {
  return { id, job, trigger, dueAt, createdAt, status: 'QUEUED', attempt: 0, arguments: args, attempts: [] };
}

/** Run records for what takeDue returned: MISSED records (already terminal) and QUEUED scheduled runs. */
export function occurrenceRuns(job: string, due: DueResult, now: number): RunRecord[] {
  const message = due.missedCount > due.missed.length ? `missed (one of ${due.missedCount} missed occurrences)` : 'missed: not started within epsilon';
  const missed = due.missed.map((m): RunRecord => ({ ...newRun(job, `occ-${m.at}`, 'scheduled', m.at, '', now), occurrence: m.at, occurrenceIndex: m.index, status: 'MISSED', finishedAt: now, message }));
  const runs = due.runs.map((r): RunRecord => ({ ...newRun(job, `occ-${r.at}`, 'scheduled', r.at, '', now), occurrence: r.at, occurrenceIndex: r.index, ...(due.collapsed > 0 ? { collapsed: due.collapsed } : {}) }));
  return [...missed, ...runs];
}

/** The exit status in an agent's message (`Command exited with status 3`), if any. */
export function exitCodeOf(message: string | undefined): number | undefined {
  const m = /exited with status (\d+)/.exec(message ?? '');
  return m === null ? undefined : Number(m[1]);
}
