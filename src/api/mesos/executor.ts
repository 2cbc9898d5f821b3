/** mesos.v1.executor Call and Event (shared/spec/mesos-api.md §4). Schemas only, no logic. */
import { Type as T, type Static, type TSchema } from '@sinclair/typebox';
import {
  Bytes,
  Enum,
  ExecutorID,
  FrameworkID,
  KillPolicy,
  TaskGroupInfo,
  TaskID,
  TaskInfo,
  TaskStatus,
  type AgentInfoJson,
  type ExecutorInfoJson,
  type FrameworkInfoJson,
  type KillPolicyJson,
  type TaskInfoJson,
} from './common.js';

const Opt = <S extends TSchema>(s: S) => T.Optional(s);

export const EXECUTOR_CALL_TYPES = ['UNKNOWN', 'SUBSCRIBE', 'UPDATE', 'MESSAGE', 'HEARTBEAT'] as const;
export type ExecutorCallType = (typeof EXECUTOR_CALL_TYPES)[number];

/** executor.Call.Update: a status from the executor (must carry a uuid and SOURCE_EXECUTOR). */
export const ExecutorUpdate = T.Object({ status: TaskStatus });
export type ExecutorUpdateJson = Static<typeof ExecutorUpdate>;

/** executor.Call (§4.1). */
export const ExecutorCall = T.Object({
  executor_id: ExecutorID,
  framework_id: FrameworkID,
  type: Opt(Enum(EXECUTOR_CALL_TYPES)),
  subscribe: Opt(
    T.Object({
      unacknowledged_tasks: Opt(T.Array(TaskInfo)),
      unacknowledged_updates: Opt(T.Array(ExecutorUpdate)),
    }),
  ),
  update: Opt(ExecutorUpdate),
  message: Opt(T.Object({ data: Bytes() })),
});
export type ExecutorCallJson = Static<typeof ExecutorCall>;

/** executor.Event (§4.2), as the agent emits it. */
export type ExecutorEvent =
  | {
      type: 'SUBSCRIBED';
      subscribed: { executor_info: ExecutorInfoJson; framework_info: FrameworkInfoJson; agent_info: AgentInfoJson; container_id?: { value: string } };
    }
  | { type: 'LAUNCH'; launch: { task: TaskInfoJson } }
  | { type: 'LAUNCH_GROUP'; launch_group: { task_group: { tasks: TaskInfoJson[] } } }
  | { type: 'KILL'; kill: { task_id: { value: string }; kill_policy?: KillPolicyJson } }
  | { type: 'ACKNOWLEDGED'; acknowledged: { task_id: { value: string }; uuid: string } }
  | { type: 'MESSAGE'; message: { data: string } }
  | { type: 'ERROR'; error: { message: string } }
  | { type: 'SHUTDOWN' }
  | { type: 'HEARTBEAT' };

/** Re-exported for executor API users. */
export { TaskID, KillPolicy, TaskGroupInfo };
