/**
 * Task-group semantics of the built-in default executor (upstream src/launcher/default_executor.cpp),
 * as functions over the agent's task records: the tasks of a group start together, and when one
 * ends other than TASK_FINISHED (failed, killed, lost...), or a KILL names one of them, the remaining
 * tasks of that group are killed, each with its own kill policy.
 */
import { join } from 'node:path';
import { newUuid } from '../../core/ids.js';
import { isTerminalState, type TaskInfoJson, type TaskStateName } from '../../api/mesos/common.js';
import type { FrameworkRecord, TaskRecord } from '../task-record.js';
import type { ExecutorRecord } from './executor-record.js';

/** The live tasks of `t`'s group other than `t` (empty for a task outside any group). */
export function groupSiblings(fw: FrameworkRecord | undefined, t: TaskRecord): TaskRecord[] {
  if (fw === undefined || t.groupId === undefined) return [];
  const out: TaskRecord[] = [];
  for (const x of fw.tasks.values()) {
    if (x !== t && x.groupId === t.groupId && x.fid === t.fid && !isTerminalState(x.state) && !x.killRequested) out.push(x);
  }
  return out;
}

/** True when a group task ending in `state` takes the rest of its group down with it. */
export function endsGroup(state: TaskStateName): boolean {
  return isTerminalState(state) && state !== 'TASK_FINISHED';
}

/** The group key of a LAUNCH_GROUP: its first task's id (unique among the framework's live tasks). */
export function groupIdOf(taskIds: readonly string[]): string {
  return taskIds[0] ?? '';
}

/**
 * The record of a task given to an executor. A default executor's task is its own supervised container
 * in `<executor sandbox>/tasks/<task id>`; a custom executor's task lives in the executor's container and
 * sandbox. Without an executor run (it is terminating) the task only gets its terminal update.
 */
export function executorTaskRecord(fid: string, task: TaskInfoJson, executorId: string, e: ExecutorRecord | undefined, groupId: string | undefined): TaskRecord {
  const own = e?.kind === 'default';
  return {
    fid,
    task,
    containerId: own || e === undefined ? newUuid() : e.containerId,
    sandbox: e === undefined ? '' : own ? join(e.sandbox, 'tasks', task.task_id.value) : e.sandbox,
    state: 'TASK_STAGING',
    latest: undefined,
    statuses: [],
    supervisorPid: undefined,
    launching: own ? new AbortController() : undefined,
    killRequested: false,
    killTimer: undefined,
    executorId,
    ...(groupId !== undefined ? { groupId } : {}),
  };
}
