/**
 * Text output of `agora job`: the job table, one job's details and a job's run history. Pure functions over
 * the Chronos API's JSON so tests check them without a server.
 */
import { table } from './apps-format.js';

/** One row of `/scheduler/jobs/summary`. */
export interface JobSummaryJson {
  readonly name: string;
  readonly status: string;
  readonly state: string;
  readonly schedule: string;
  readonly parents: readonly string[];
  readonly disabled: boolean;
}

/** The fields of a Chronos job that `show` prints (the API returns many more). */
export interface JobJson {
  readonly name: string;
  readonly command: string;
  readonly schedule?: string;
  readonly scheduleTimeZone?: string;
  readonly parents?: readonly string[];
  readonly cpus?: number;
  readonly mem?: number;
  readonly disk?: number;
  readonly retries?: number;
  readonly disabled?: boolean;
  readonly successCount?: number;
  readonly errorCount?: number;
  readonly lastSuccess?: string;
  readonly lastError?: string;
  readonly owner?: string;
  readonly description?: string;
}

/** A run record of `/scheduler/job/<name>/runs`. */
export interface RunJson {
  readonly id: string;
  readonly trigger: string;
  readonly status: string;
  readonly attempt: number;
  readonly dueAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly taskId?: string;
  readonly message?: string;
  readonly attempts?: readonly { attempt: number; taskId: string; state: string; finishedAt: number; message?: string }[];
}

function iso(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString();
}

/** `NAME  STATE  LAST  SCHEDULE / PARENTS`, sorted by name. */
export function jobListLines(jobs: readonly JobSummaryJson[]): string[] {
  if (jobs.length === 0) return ['no jobs'];
  const rows = [...jobs]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((j) => [j.name, j.disabled ? 'disabled' : j.state, j.status === '' ? '-' : j.status, j.schedule !== '' ? j.schedule : `after ${j.parents.join(', ')}`]);
  return table(['NAME', 'STATE', 'LAST', 'SCHEDULE / PARENTS'], rows);
}

/** A job's definition and counters, one `key: value` per line. */
export function jobShowLines(job: JobJson): string[] {
  const lines = [`name:        ${job.name}`, `command:     ${job.command}`];
  if (job.schedule !== undefined && job.schedule !== '') lines.push(`schedule:    ${job.schedule}${job.scheduleTimeZone ? ` (${job.scheduleTimeZone})` : ''}`);
  if (job.parents !== undefined && job.parents.length > 0) lines.push(`parents:     ${job.parents.join(', ')}`);
  lines.push(`resources:   cpus ${job.cpus ?? '-'}, mem ${job.mem ?? '-'} MB, disk ${job.disk ?? '-'} MB`);
  lines.push(`retries:     ${job.retries ?? 0}${job.disabled === true ? ' (disabled)' : ''}`);
  lines.push(`successes:   ${job.successCount ?? 0} (last ${job.lastSuccess || '-'})`);
  lines.push(`errors:      ${job.errorCount ?? 0} (last ${job.lastError || '-'})`);
  if (job.owner) lines.push(`owner:       ${job.owner}`);
  if (job.description) lines.push(`description: ${job.description}`);
  return lines;
}

/** Runs newest first: trigger, status, attempts, due/start/finish times, last task id and message. */
export function runLines(runs: readonly RunJson[]): string[] {
  if (runs.length === 0) return ['no runs yet'];
  const rows = runs.map((r) => [r.status, r.trigger, String(r.attempt + 1), iso(r.dueAt), iso(r.startedAt), iso(r.finishedAt), r.taskId ?? '-', r.message ?? '']);
  return table(['STATUS', 'TRIGGER', 'ATTEMPTS', 'DUE', 'STARTED', 'FINISHED', 'TASK', 'MESSAGE'], rows);
}
