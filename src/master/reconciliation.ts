/**
 * Pure reconciliation answers (spec §6.7). Implicit: the latest state of every task the master tracks
 * for the framework. Explicit: one answer per entry per the table, or none while recovered agents may
 * still report the task.
 */
import type { TaskStateName, TaskStatusJson } from '../api/mesos/common.js';
import { masterStatus } from './statuses.js';
import type { AgentState, TaskRec } from './types.js';

/** The latest-state answer for a known task (uuid never included). */
export function latestStateAnswer(task: TaskRec, nowMs: number): TaskStatusJson {
  const state: TaskStateName = task.statusUpdateState ?? task.state;
  const s = masterStatus({
    taskId: task.id,
    state,
    reason: 'REASON_RECONCILIATION',
    message: 'Reconciliation: Latest task state',
    agentId: task.agentId,
    nowMs,
  });
  const latest = task.latestStatus;
  if (latest !== undefined) {
    if (latest.healthy !== undefined) s.healthy = latest.healthy;
    if (latest.check_status !== undefined) s.check_status = latest.check_status;
    if (latest.container_status !== undefined) s.container_status = latest.container_status;
    if (latest.executor_id !== undefined) s.executor_id = latest.executor_id;
  }
  return s;
}

/** Read-only view of master state that explicit reconciliation needs. */
export interface ReconcileView {
  readonly nowMs: number;
  readonly partitionAware: boolean;
  /** Task tracked by the master for this framework (active or terminal-unacked), if any. */
  findTask(taskId: string): TaskRec | undefined;
  agentState(agentId: string): AgentState | undefined;
  unreachableTime(agentId: string): number | undefined;
  anyRecoveredAgents(): boolean;
}

/** Answer for one explicit entry; undefined = no answer yet (recovered agents pending). */
export function explicitAnswer(taskId: string, agentId: string | undefined, v: ReconcileView): TaskStatusJson | undefined {
  const task = v.findTask(taskId);
  if (task !== undefined && (agentId === undefined || agentId === task.agentId)) return latestStateAnswer(task, v.nowMs);
  const agentState = agentId === undefined ? undefined : v.agentState(agentId);
  if (agentState === 'recovered' || (agentId === undefined && v.anyRecoveredAgents())) return undefined;
  const pa = v.partitionAware;
  const base = { taskId, reason: 'REASON_RECONCILIATION' as const, nowMs: v.nowMs, ...(agentId !== undefined ? { agentId } : {}) };
  switch (agentState) {
    case 'registered':
    case 'disconnected':
      return masterStatus({ ...base, state: pa ? 'TASK_GONE' : 'TASK_LOST', message: 'Reconciliation: Task is unknown to the agent' });
    case 'unreachable': {
      const t = agentId === undefined ? undefined : v.unreachableTime(agentId);
      return masterStatus({
        ...base,
        state: pa ? 'TASK_UNREACHABLE' : 'TASK_LOST',
        message: 'Reconciliation: Task is unreachable',
        ...(pa && t !== undefined ? { unreachableTimeMs: t } : {}),
      });
    }
    case 'gone':
      return masterStatus({ ...base, state: pa ? 'TASK_GONE_BY_OPERATOR' : 'TASK_LOST', message: 'Reconciliation: Task is gone' });
    default:
      return masterStatus({ ...base, state: pa ? 'TASK_UNKNOWN' : 'TASK_LOST', message: 'Reconciliation: Task is unknown' });
  }
}
