/**
 * What the `/v2` API serves (spec §8.1, §8.4): the job spec with optional embeds, Metronome run objects and the
 * history. Run status names follow Metronome (INITIAL, STARTING, ACTIVE, SUCCESS, FAILED) except MISSED, which
 * Metronome does not have: an occurrence that never ran (catch-up SKIP, FORBID, REPLACE or the starting deadline).
 * Beyond Metronome each run also carries `trigger`, `occurrence`, `message` and per-attempt exit codes.
 */
import type { JobJson } from '../api/job-schema.js';
import type { AttemptRecord, JobRecord, RunRecord } from '../state/records.js';
import type { ConcurrencyPolicy, V2ScheduleSpec } from './spec.js';

const STATUS: Record<RunRecord['status'], string> = {
  QUEUED: 'INITIAL',
  LAUNCHING: 'STARTING',
  RUNNING: 'ACTIVE',
  SUCCESS: 'SUCCESS',
  FAILED: 'FAILED',
  KILLED: 'FAILED',
  MISSED: 'MISSED',
};

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export interface TaskJson {
  readonly id: string;
  readonly startedAt: string | null;
  readonly completedAt: string | null;
  readonly status: string;
  readonly exitCode?: number;
}

function tasksOf(run: RunRecord): TaskJson[] {
  const done = run.attempts.map((a: AttemptRecord) => ({ id: a.taskId, startedAt: null, completedAt: iso(a.finishedAt), status: a.state, ...(a.exitCode !== undefined ? { exitCode: a.exitCode } : {}) }));
  const live = run.taskId !== undefined && (run.status === 'LAUNCHING' || run.status === 'RUNNING') ? [{ id: run.taskId, startedAt: iso(run.startedAt), completedAt: null, status: run.status === 'RUNNING' ? 'TASK_RUNNING' : 'TASK_STAGING' }] : [];
  return [...done, ...live];
}

/** A Metronome run object. */
export function runJson(run: RunRecord): Record<string, unknown> {
  return {
    id: run.id,
    jobId: run.job,
    status: STATUS[run.status],
    createdAt: iso(run.createdAt),
    completedAt: iso(run.finishedAt),
    tasks: tasksOf(run),
    trigger: run.trigger,
    attempt: run.attempt,
    ...(run.occurrence !== undefined ? { occurrence: iso(run.occurrence) } : {}),
    ...(run.message !== undefined ? { message: run.message } : {}),
  };
}

function finished(run: RunRecord): Record<string, unknown> {
  return { id: run.id, createdAt: iso(run.createdAt), finishedAt: iso(run.finishedAt), tasks: tasksOf(run).map((t) => t.id), ...(run.message !== undefined ? { message: run.message } : {}) };
}

/** `historySummary`: Metronome's four counters, from the job's persisted counters. */
export function historySummary(job: JobJson): Record<string, unknown> {
  return { successCount: job.successCount, failureCount: job.errorCount, lastSuccessAt: job.lastSuccess === '' ? null : job.lastSuccess, lastFailureAt: job.lastError === '' ? null : job.lastError };
}

/** `history`: the counters plus the kept finished runs, newest first (MISSED ones listed apart). */
export function history(job: JobJson, runs: readonly RunRecord[]): Record<string, unknown> {
  const done = runs.filter((r) => r.finishedAt !== undefined);
  return {
    ...historySummary(job),
    successfulFinishedRuns: done.filter((r) => r.status === 'SUCCESS').map(finished),
    failedFinishedRuns: done.filter((r) => r.status === 'FAILED' || r.status === 'KILLED').map(finished),
    missedRuns: done.filter((r) => r.status === 'MISSED').map(finished),
  };
}

/** The schedule as served (Metronome's keys plus our catch-up fields). */
export function scheduleJson(s: V2ScheduleSpec, next: number | undefined): Record<string, unknown> {
  return { ...s, ...(next !== undefined ? { nextRunAt: iso(next) } : {}) };
}

export type Embed = 'activeRuns' | 'schedules' | 'history' | 'historySummary';
export const EMBEDS: readonly Embed[] = ['activeRuns', 'schedules', 'history', 'historySummary'];

/** The job as served: its spec plus what `embed` asks for. `runs` = active then finished runs, newest first. */
export function jobJson(rec: JobRecord, embed: ReadonlySet<Embed>, runs: readonly RunRecord[], next: (s: V2ScheduleSpec) => number | undefined): Record<string, unknown> {
  const v2 = rec.v2;
  if (v2 === undefined) return {};
  const out: Record<string, unknown> = { ...v2.spec };
  if (embed.has('schedules')) out.schedules = v2.schedules.map((s) => scheduleJson(s, next(s)));
  if (embed.has('activeRuns')) out.activeRuns = runs.filter((r) => r.finishedAt === undefined).map(runJson);
  if (embed.has('history')) out.history = history(rec.job, runs);
  if (embed.has('historySummary')) out.historySummary = historySummary(rec.job);
  return out;
}

/** The concurrency policy a manual run follows: the job's schedule's, ALLOW without one. */
export function policyOf(rec: JobRecord): ConcurrencyPolicy {
  return rec.v2?.schedules[0]?.concurrencyPolicy ?? 'ALLOW';
}
