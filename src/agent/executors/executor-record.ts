/**
 * The agent's record of one executor run (custom executor process, or the built-in default executor
 * of task groups), and the pure helpers around it: its environment (spec §4.3) and its exit wording.
 * Records are owned and mutated only by the ExecutorManager (on behalf of the Agent actor).
 */
import type { Timer } from '../../core/clock.js';
import type { EventStream } from '../../transport/event-stream.js';
import type { ExecutorInfoJson, ReasonName, TaskInfoJson } from '../../api/mesos/common.js';
import type { ExitStatus } from '../containerizer/launcher.js';
import { mesosEnvironment, withCommandVariables, type MesosEnvContext } from '../task-record.js';

/**
 * launching: sandbox, fetch and spawn in progress; registering: spawned (or recovered after an agent
 * restart), waiting for SUBSCRIBE; running: subscribed (the stream may be down while it reconnects);
 * terminating: SHUTDOWN sent or kill under way; terminated: exited.
 */
export type ExecutorPhase = 'launching' | 'registering' | 'running' | 'terminating' | 'terminated';

/** A LAUNCH or LAUNCH_GROUP waiting for the executor to subscribe (task ids only: the TaskInfos live in the framework record). */
export type QueuedLaunch = { readonly kind: 'task'; readonly taskId: string } | { readonly kind: 'group'; readonly taskIds: readonly string[] };

export interface ExecutorRecord {
  readonly fid: string;
  readonly info: ExecutorInfoJson;
  /** custom: its own process speaking the executor API; default: built into the agent (task groups). */
  readonly kind: 'custom' | 'default';
  readonly containerId: string;
  readonly sandbox: string;
  phase: ExecutorPhase;
  supervisorPid: number | undefined;
  /** The executor's current SUBSCRIBE stream, if connected. */
  session: EventStream | undefined;
  queue: QueuedLaunch[];
  /** Registration / re-registration / shutdown-grace timer. */
  timer: Timer | undefined;
  /** Why the agent ended it (reason of the terminal updates its unfinished tasks get). */
  termination: { readonly reason: ReasonName; readonly message: string } | undefined;
  /** Re-attached after an agent restart and not yet re-subscribed. */
  recovered: boolean;
  /** Exit status once terminated. */
  exit: ExitStatus | undefined;
}

export const executorKey = (fid: string, eid: string): string => `${fid}/${eid}`;

/** The executor's kind: DEFAULT runs inside the agent; CUSTOM (or unset with a command) is a process. */
export function executorKind(info: ExecutorInfoJson): 'custom' | 'default' {
  return info.type === 'DEFAULT' || (info.type === undefined && info.command === undefined) ? 'default' : 'custom';
}

/** What the executor environment is built from. */
export interface ExecutorEnvContext extends Omit<MesosEnvContext, 'executorId'> {
  readonly recoveryTimeout: string;
  readonly subscriptionBackoffMax: string;
}

/** A custom executor's environment (spec §4.3), then the variables of its CommandInfo. */
export function executorEnvironment(info: ExecutorInfoJson, c: ExecutorEnvContext, agentEnv: NodeJS.ProcessEnv): Record<string, string> {
  const env = mesosEnvironment({ ...c, executorId: info.executor_id.value }, agentEnv);
  if (c.checkpoint) {
    // Only checkpointing frameworks' executors outlive an agent restart, so only they get these (§4.3).
    env['MESOS_RECOVERY_TIMEOUT'] = c.recoveryTimeout;
    env['MESOS_SUBSCRIPTION_BACKOFF_MAX'] = c.subscriptionBackoffMax;
  }
  return withCommandVariables(env, info.command);
}

/** The wait status upstream reports in ExitedExecutorMessage (exit code << 8, or the signal number). */
export function waitStatusOf(st: ExitStatus | undefined, signals: Readonly<Record<string, number>>): number | undefined {
  if (st === undefined || st.kind === 'unknown') return undefined;
  if (st.kind === 'exited') return st.code << 8;
  return signals[st.signal];
}

/** Message of the terminal update an executor's unfinished task gets when the executor ends. */
export function terminationMessage(st: ExitStatus | undefined): string {
  if (st === undefined) return 'Executor terminated';
  if (st.kind === 'exited') return `Executor terminated: exited with status ${st.code}`;
  if (st.kind === 'signaled') return `Executor terminated: killed by ${st.signal}`;
  return st.message;
}

/** Task ids of a queued launch, in order. */
export function queuedTaskIds(q: QueuedLaunch): readonly string[] {
  return q.kind === 'task' ? [q.taskId] : q.taskIds;
}

/** The TaskInfos of a group as the executor receives them (without the `executor` field, as upstream). */
export function groupTasksForExecutor(tasks: readonly TaskInfoJson[]): TaskInfoJson[] {
  return tasks.map(({ executor: _e, ...t }) => t);
}
