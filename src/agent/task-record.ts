/**
 * The agent's per-task state and the pure helpers around it (status construction, environment). Kept
 * small on purpose: one record per task is most of the agent's memory per running task.
 */
import type { Timer } from '../core/clock.js';
import type { ExitStatus } from './containerizer/launcher.js';
import type { CommandInfoJson, FrameworkInfoJson, ReasonName, StatusSource, TaskInfoJson, TaskStateName, TaskStatusJson } from '../api/mesos/common.js';

/** A task on this agent. Owned and mutated only by the Agent actor. */
export interface TaskRecord {
  readonly fid: string;
  readonly task: TaskInfoJson;
  readonly containerId: string;
  readonly sandbox: string;
  state: TaskStateName;
  latest: TaskStatusJson | undefined;
  /** One entry per consecutive state: what `/state` shows as `statuses`. */
  statuses: { state: TaskStateName; timestamp: number; healthy?: boolean }[];
  supervisorPid: number | undefined;
  /** Set while URIs are fetched / the supervisor is spawned. */
  launching: AbortController | undefined;
  killRequested: boolean;
  killTimer: Timer | undefined;
  /** Set when TaskInfo.max_completion_time elapsed and the agent killed the task for it. */
  timedOut?: boolean;
  completionTimer?: Timer | undefined;
  /**
   * Set for tasks of an executor (src/agent/executors): the executor's id. Without `groupId` the task
   * runs inside a custom executor's process (its statuses come from that executor); with `groupId` it
   * is a task-group task the built-in default executor runs as its own process, like a command task.
   */
  executorId?: string;
  /** The task group (LAUNCH_GROUP) this task belongs to: one non-successful end kills the others. */
  groupId?: string;
}

export interface FrameworkRecord {
  info: FrameworkInfoJson;
  readonly tasks: Map<string, TaskRecord>;
  /** Terminal, fully acknowledged tasks (oldest first, bounded). */
  readonly completed: TaskRecord[];
}

export function hasCapability(fw: FrameworkInfoJson | undefined, cap: string): boolean {
  return (fw?.capabilities ?? []).some((c) => c.type === cap);
}

export interface StatusFields {
  readonly state: TaskStateName;
  readonly source: StatusSource;
  readonly message?: string;
  readonly reason?: ReasonName;
}

/** A TaskStatus as the command executor (or the agent) emits it. */
export function makeStatus(
  taskId: string,
  agentId: string,
  containerId: string | undefined,
  f: StatusFields,
  uuid: string,
  nowMs: number,
  executorId?: string,
): TaskStatusJson {
  return {
    task_id: { value: taskId },
    state: f.state,
    ...(f.message !== undefined ? { message: f.message } : {}),
    source: f.source,
    ...(f.reason !== undefined ? { reason: f.reason } : {}),
    agent_id: { value: agentId },
    executor_id: { value: executorId ?? taskId },
    timestamp: nowMs / 1000,
    uuid,
    ...(containerId !== undefined ? { container_status: { container_id: { value: containerId } } } : {}),
  };
}

/** Records a status as the task's latest, collapsing consecutive equal states in the history. */
export function applyStatus(t: TaskRecord, st: TaskStatusJson): void {
  t.state = st.state;
  t.latest = st;
  const last = t.statuses[t.statuses.length - 1];
  const entry = { state: st.state, timestamp: st.timestamp ?? 0, ...(st.healthy !== undefined ? { healthy: st.healthy } : {}) };
  if (last !== undefined && last.state === st.state) t.statuses[t.statuses.length - 1] = entry;
  else t.statuses.push(entry);
}

export interface TaskEnvContext {
  readonly frameworkId: string;
  readonly taskId: string;
  readonly agentId: string;
  readonly sandbox: string;
  readonly agentIp: string;
  readonly agentPort: number;
  readonly checkpoint: boolean;
  readonly shutdownGrace: string;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** What every process the agent starts for a framework (task or executor) learns about its place (spec §4.3). */
export interface MesosEnvContext {
  readonly frameworkId: string;
  readonly executorId: string;
  readonly agentId: string;
  readonly sandbox: string;
  readonly agentIp: string;
  readonly agentPort: number;
  readonly checkpoint: boolean;
  readonly shutdownGrace: string;
}

/** Sane defaults and the MESOS_* variables of spec §4.3 shared by command tasks and custom executors. */
export function mesosEnvironment(c: MesosEnvContext, agentEnv: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {
    PATH: agentEnv['PATH'] ?? DEFAULT_PATH,
    HOME: agentEnv['HOME'] ?? '/',
    MESOS_FRAMEWORK_ID: c.frameworkId,
    MESOS_EXECUTOR_ID: c.executorId,
    MESOS_DIRECTORY: c.sandbox,
    MESOS_SANDBOX: c.sandbox,
    MESOS_SLAVE_ID: c.agentId,
    MESOS_AGENT_ID: c.agentId,
    MESOS_SLAVE_PID: `slave(1)@${c.agentIp}:${c.agentPort}`,
    MESOS_AGENT_ENDPOINT: `${c.agentIp}:${c.agentPort}`,
    MESOS_CHECKPOINT: c.checkpoint ? '1' : '0',
    MESOS_HTTP_COMMAND_EXECUTOR: '0',
    MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: c.shutdownGrace,
    LIBPROCESS_PORT: '0',
  };
  if (agentEnv['LANG'] !== undefined) env['LANG'] = agentEnv['LANG'];
  return env;
}

/** Adds a CommandInfo's own variables (they win; SECRET values are decoded from their base64 data). */
export function withCommandVariables(env: Record<string, string>, command: CommandInfoJson | undefined): Record<string, string> {
  for (const v of command?.environment?.variables ?? []) {
    if (v.type === 'SECRET') {
      const data = (v.secret as { value?: { data?: string } } | undefined)?.value?.data;
      if (data !== undefined) env[v.name] = Buffer.from(data, 'base64').toString('utf8');
      continue;
    }
    env[v.name] = v.value ?? '';
  }
  return env;
}

/** The environment of a command task: sane defaults, the MESOS_* variables (spec §4.3), then the task's own. */
export function taskEnvironment(task: TaskInfoJson, c: TaskEnvContext, agentEnv: NodeJS.ProcessEnv): Record<string, string> {
  // A command task's executor id is its task id.
  const env = { ...mesosEnvironment({ ...c, executorId: c.taskId }, agentEnv), MESOS_TASK_ID: c.taskId };
  return withCommandVariables(env, task.command);
}

/** Grace before SIGKILL: the KILL_TASK policy, else the task's, else the command executor's 3 s. */
export function killGraceMs(task: TaskInfoJson, override?: { grace_period?: { nanoseconds: number } }): number {
  const ns = override?.grace_period?.nanoseconds ?? task.kill_policy?.grace_period?.nanoseconds;
  return ns === undefined ? 3000 : Math.max(0, ns / 1e6);
}

/** The terminal update for a task's end, as the command executor words it. */
export function exitStatusFields(st: ExitStatus, killed: boolean, timedOut: boolean): StatusFields {
  if (st.kind === 'unknown') return { state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_EXECUTOR_TERMINATED', message: st.message };
  if (timedOut) return { state: 'TASK_FAILED', source: 'SOURCE_EXECUTOR', reason: 'REASON_MAX_COMPLETION_TIME_REACHED', message: 'Task reached its maximum completion time' };
  const message = st.kind === 'signaled' ? `Command terminated with signal ${st.signal}` : `Command exited with status ${st.code}`;
  if (killed) return { state: 'TASK_KILLED', source: 'SOURCE_EXECUTOR', message };
  if (st.kind === 'exited' && st.code === 0) return { state: 'TASK_FINISHED', source: 'SOURCE_EXECUTOR', message };
  return { state: 'TASK_FAILED', source: 'SOURCE_EXECUTOR', message };
}

/** Terminal-state counters for `/metrics/snapshot`. */
export interface TerminalCounters {
  tasksFinished: number;
  tasksFailed: number;
  tasksKilled: number;
  tasksLost: number;
  tasksGone: number;
}

export function countTerminal(c: TerminalCounters, state: TaskStateName): void {
  if (state === 'TASK_FINISHED') c.tasksFinished++;
  else if (state === 'TASK_FAILED') c.tasksFailed++;
  else if (state === 'TASK_KILLED') c.tasksKilled++;
  else if (state === 'TASK_LOST' || state === 'TASK_DROPPED') c.tasksLost++;
  else if (state === 'TASK_GONE') c.tasksGone++;
}

/** A command task about to be launched in its own container (STAGING, launch abortable). */
export function newTaskRecord(fid: string, task: TaskInfoJson, containerId: string, sandbox: string): TaskRecord {
  return {
    fid,
    task,
    containerId,
    sandbox,
    state: 'TASK_STAGING',
    latest: undefined,
    statuses: [],
    supervisorPid: undefined,
    launching: new AbortController(),
    killRequested: false,
    killTimer: undefined,
  };
}
