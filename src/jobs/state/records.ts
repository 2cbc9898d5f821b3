/**
 * What the jobs framework keeps durably, and the Store keys it uses. A run record is written before its task
 * is launched, keyed by (job, occurrence) for scheduled runs, so a second attempt to take the same occurrence
 * finds the key present and launches nothing (Store `put` with 'absent' is the idempotency check).
 */
import type { JobJson } from '../api/job-schema.js';
import type { Cursor } from '../schedule/cursor.js';
import type { V2JobSpec, V2ScheduleSpec } from '../v2/spec.js';

export const KEY_PREFIX = 'jobs/';
export const FRAMEWORK_ID_KEY = 'jobs/framework_id';
export const jobKey = (name: string): string => `jobs/job/${name}`;
export const runPrefix = (name: string): string => `jobs/run/${name}/`;
export const runKey = (name: string, runId: string): string => `${runPrefix(name)}${runId}`;

/** A job and the scheduler state that belongs to it. */
export interface JobRecord {
  readonly job: JobJson;
  /** Scheduled jobs: position on the schedule grid of `job.schedule`. */
  readonly cursor: Cursor;
  /** Dependent jobs: parents that succeeded since this job's last trigger (spec §5, persisted: #811). */
  readonly parentsDone: readonly string[];
  /** Jobs created through `/v2`: the Metronome-style spec; `job` is its Chronos view (what launches). */
  readonly v2?: V2State;
}

/** The `/v2` side of a job record. */
export interface V2State {
  readonly spec: V2JobSpec;
  /** At most one (Metronome's rule). */
  readonly schedules: readonly V2ScheduleSpec[];
  /**
   * Per schedule id: the last occurrence taken, or the instant the schedule was (re)armed. Occurrences after it
   * and up to now are due; after downtime the catch-up policy decides which of them run.
   */
  readonly lastTaken: Readonly<Record<string, number>>;
  readonly createdAt: number;
}

export type RunTrigger = 'scheduled' | 'manual' | 'dependent';
export type RunStatus = 'QUEUED' | 'LAUNCHING' | 'RUNNING' | 'SUCCESS' | 'FAILED' | 'KILLED' | 'MISSED';

export const ACTIVE_STATUSES: ReadonlySet<RunStatus> = new Set(['QUEUED', 'LAUNCHING', 'RUNNING']);

export interface AttemptRecord {
  readonly attempt: number;
  readonly taskId: string;
  readonly state: string;
  readonly finishedAt: number;
  readonly message?: string;
  /** The command's exit status when the agent reported one (`Command exited with status N`). */
  readonly exitCode?: number;
}

/** One run of a job: one occurrence (or manual/dependent trigger) with all its attempts. */
export interface RunRecord {
  readonly id: string;
  readonly job: string;
  readonly trigger: RunTrigger;
  /** Scheduled runs: the nominal occurrence instant and its grid index. */
  readonly occurrence?: number;
  readonly occurrenceIndex?: number;
  /** When the run became due (occurrence, or trigger time); the task id's millis. */
  readonly dueAt: number;
  readonly createdAt: number;
  readonly status: RunStatus;
  readonly attempt: number;
  /** Manual `?arguments=` (`;` stripped). */
  readonly arguments: string;
  readonly taskId?: string;
  readonly agentId?: string;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  /** Earliest relaunch time of a retry. */
  readonly retryAt?: number;
  readonly attempts: readonly AttemptRecord[];
  readonly message?: string;
  /** Occurrences folded into this run (no epsilon, after downtime). */
  readonly collapsed?: number;
}

export function isActive(r: RunRecord): boolean {
  return ACTIVE_STATUSES.has(r.status);
}

/** `ct:<dueMillis>:<attempt>:<jobName>:<args>` (spec §6.1). */
export function chronosTaskId(run: RunRecord): string {
  return `ct:${run.dueAt}:${run.attempt}:${run.job}:${run.arguments}`;
}

/** Parses a Chronos task id; undefined when it does not match upstream's pattern. */
export function parseTaskId(id: string): { dueAt: number; attempt: number; job: string; args: string } | undefined {
  const m = /^ct:(\d+):(\d+):([\w.-]+):?(.*)$/.exec(id);
  if (m === null) return undefined;
  return { dueAt: Number(m[1]), attempt: Number(m[2]), job: m[3] ?? '', args: m[4] ?? '' };
}
