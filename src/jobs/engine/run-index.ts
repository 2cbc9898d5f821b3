/**
 * The engine's in-memory view of runs: active runs (QUEUED, LAUNCHING, RUNNING) indexed by key and task id,
 * and the newest terminal runs per job. It mirrors what is in the Store; the engine persists first, then
 * updates this index, so the index never shows a state that is not durable.
 */
import type { JobJson } from '../api/job-schema.js';
import { isActive, type RunRecord } from '../state/records.js';

/** Terminal runs kept in memory per job for stats and history. */
export const HISTORY_LIMIT = 50;

export class RunIndex {
  private readonly active = new Map<string, RunRecord>();
  /** Active runs per job (by run key): per-job questions cost O(that job's runs), not O(all active runs). */
  private readonly activeByJob = new Map<string, Map<string, RunRecord>>();
  private readonly byTask = new Map<string, string>();
  private readonly history = new Map<string, RunRecord[]>();

  /**
   * Records a run's latest state: active runs are indexed, terminal ones move to the history. Returns the
   * terminal runs pushed out of the history (the caller deletes them from the Store).
   */
  set(run: RunRecord): RunRecord[] {
    const key = `${run.job}/${run.id}`;
    const old = this.active.get(key);
    if (old?.taskId !== undefined) this.byTask.delete(old.taskId);
    if (!isActive(run)) {
      this.active.delete(key);
      this.jobActive(run.job, false)?.delete(key);
      return this.addHistory(run);
    }
    this.active.set(key, run);
    this.jobActive(run.job, true)?.set(key, run);
    if (run.taskId !== undefined) this.byTask.set(run.taskId, key);
    return [];
  }

  private addHistory(run: RunRecord): RunRecord[] {
    const list = this.history.get(run.job) ?? [];
    list.push(run);
    list.sort((a, b) => a.createdAt - b.createdAt || a.dueAt - b.dueAt);
    this.history.set(run.job, list);
    return list.length > HISTORY_LIMIT ? list.splice(0, list.length - HISTORY_LIMIT) : [];
  }

  private jobActive(job: string, create: boolean): Map<string, RunRecord> | undefined {
    let m = this.activeByJob.get(job);
    if (m === undefined && create) this.activeByJob.set(job, (m = new Map<string, RunRecord>()));
    return m;
  }

  /** Forgets a job's runs entirely (job deleted). */
  dropJob(job: string): void {
    for (const run of this.activeOf(job)) {
      this.active.delete(`${run.job}/${run.id}`);
      if (run.taskId !== undefined) this.byTask.delete(run.taskId);
    }
    this.history.delete(job);
    this.activeByJob.delete(job);
  }

  byTaskId(taskId: string): RunRecord | undefined {
    const key = this.byTask.get(taskId);
    return key === undefined ? undefined : this.active.get(key);
  }

  allActive(): RunRecord[] {
    return [...this.active.values()];
  }

  activeOf(job: string): RunRecord[] {
    return [...(this.activeByJob.get(job)?.values() ?? [])];
  }

  /** Active then recent terminal runs of a job, newest first. */
  runsOf(job: string): RunRecord[] {
    return [...this.activeOf(job), ...(this.history.get(job) ?? [])].sort((a, b) => b.createdAt - a.createdAt || b.dueAt - a.dueAt);
  }

  /** A task of the job is launching or running. */
  busy(job: string): boolean {
    return this.activeOf(job).some((r) => r.status === 'LAUNCHING' || r.status === 'RUNNING');
  }

  /** `idle`, `queued`, `running` or `<n> running` (spec §2.2 (3)). */
  state(job: string): string {
    const runs = this.activeOf(job);
    const running = runs.filter((r) => r.status === 'LAUNCHING' || r.status === 'RUNNING').length;
    if (running > 1) return `${running} running`;
    if (running === 1) return 'running';
    return runs.some((r) => r.status === 'QUEUED') ? 'queued' : 'idle';
  }

  /**
   * QUEUED runs due by `now` (occurrence taken ahead, retry delay over), of jobs that exist: high priority
   * first, then by due time. Runs of a disabled job wait (upstream drops them), except manual ones: those were
   * asked for explicitly.
   */
  launchable(now: number, jobOf: (name: string) => JobJson | undefined): RunRecord[] {
    const ok = (r: RunRecord): boolean => {
      const job = jobOf(r.job);
      return job !== undefined && (r.trigger === 'manual' || !job.disabled);
    };
    const high = (r: RunRecord): number => Number(jobOf(r.job)?.highPriority === true);
    return this.allActive()
      .filter((r) => r.status === 'QUEUED' && r.dueAt <= now && (r.retryAt ?? 0) <= now && ok(r))
      .sort((a, b) => high(b) - high(a) || a.dueAt - b.dueAt);
  }
}
