/**
 * What a task status does to its run and job (spec §6.3, §6.4, §8.4): running, success (counters, dependent
 * children), killed, or a failed attempt that the retry decision relaunches or ends (Chronos `retries`,
 * /v2 restart policy). A LAUNCHING run whose task the master never saw is queued again for the same attempt.
 */
import type { TaskStatusJson } from '../../api/mesos/common.js';
import type { JobRecord, RunRecord } from '../state/records.js';
import { retryDecision } from '../v2/policy.js';
import { classify, jobAfterFinalFailure, jobAfterSuccess, neverRan, runAfterEnd, runAfterFailure } from './outcomes.js';

/** The engine state a status update may change (always called inside the engine's serial chain). */
export interface StatusContext {
  now(): number;
  record(name: string): JobRecord | undefined;
  saveRun(run: RunRecord): Promise<void>;
  saveJob(rec: JobRecord): Promise<void>;
  triggerChildren(parent: string, now: number): Promise<void>;
  readonly failureRetryMs: number;
  readonly disableAfterFailures?: number;
}

export async function applyStatus(ctx: StatusContext, run: RunRecord, status: TaskStatusJson, fromReconcile: boolean, fromCallback = false): Promise<void> {
const now = ctx.now();
  const outcome = classify(status.state);
  const rec = ctx.record(run.job);
  if (rec === undefined) return;
  if (run.status === 'LAUNCHING' && neverRan(status, fromReconcile)) {
    // The master never saw this launch (or refused its offer): the occurrence has not run, so launch it again.
    const requeued: RunRecord = { ...run, status: 'QUEUED' };
    delete (requeued as { taskId?: string }).taskId;
    delete (requeued as { agentId?: string }).agentId;
    await ctx.saveRun(requeued);
    return;
  }
  switch (outcome) {
    case 'running':
      if (run.status !== 'RUNNING') await ctx.saveRun({ ...run, status: 'RUNNING', startedAt: run.startedAt ?? now });
      return;
    case 'success':
      // v2 `async` jobs report completion through the callback (completeAsync), not the task's exit.
      if (rec.job.async === true && !fromCallback) return;
      await ctx.saveRun(runAfterEnd(run, 'SUCCESS', status.state, now));
      await ctx.saveJob({ ...rec, job: jobAfterSuccess(rec.job, now) });
      await ctx.triggerChildren(run.job, now);
      return;
    case 'killed':
      await ctx.saveRun(runAfterEnd(run, 'KILLED', status.state, now, status.message));
      return;
    case 'failure': {
      const next = runAfterFailure(run, status.state, status.message, now, retryDecision(rec, run, now, ctx.failureRetryMs));
      await ctx.saveRun(next);
      if (next.status === 'FAILED') {
        await ctx.saveJob({ ...rec, job: jobAfterFinalFailure(rec.job, now, ctx.disableAfterFailures) });
        if (rec.job.softError) await ctx.triggerChildren(run.job, now);
      }
      return;
    }
    case 'ignore':
      return;
  }
}
