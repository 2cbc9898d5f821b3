/**
 * The agent↔master protocol (ours, versioned). The agent POSTs SUBSCRIBE to `/agora/api/v1/agent` and
 * keeps the 200 RecordIO stream of AgentEvents open; every other AgentCall is a separate POST carrying
 * the `Agora-Stream-Id` header of that stream. Errors on this wire are `{code, message}`.
 */
import { Type as T, type Static, type TSchema } from '@sinclair/typebox';
import type {
  KillPolicy,
  MasterInfoSchema} from '../mesos/common.js';
import {
  AgentID,
  AgentInfo,
  Bytes,
  ExecutorID,
  ExecutorInfo,
  FrameworkID,
  FrameworkInfo,
  Resource,
  TaskID,
  TaskInfo,
  TaskState,
  TaskStatus,
} from '../mesos/common.js';

const Opt = <S extends TSchema>(s: S) => T.Optional(s);

export const AGENT_PROTOCOL_VERSION = 1;
export const AGENT_API_PATH = '/agora/api/v1/agent';
export const AGENT_STREAM_HEADER = 'agora-stream-id';

/** A task as the agent reports it when (re-)registering, so that a new master can re-learn it. */
export const AgentTaskReport = T.Object({
  framework_id: FrameworkID,
  executor_id: Opt(ExecutorID),
  task: TaskInfo,
  state: TaskState,
  /** Latest status known to the agent (may not have been acknowledged yet). */
  latest_status: Opt(TaskStatus),
  /** State of the status update at the head of the unacknowledged queue, if any. */
  unacked_state: Opt(TaskState),
  unacked_uuid: Opt(Bytes()),
});
export type AgentTaskReportJson = Static<typeof AgentTaskReport>;

/** One status update relayed by the agent; `latest_state` may be ahead of `status` (spec §6.6). */
export const StatusUpdateBody = T.Object({
  framework_id: FrameworkID,
  status: TaskStatus,
  latest_state: Opt(TaskState),
});
export type StatusUpdateBodyJson = Static<typeof StatusUpdateBody>;

export const AgentCall = T.Object({
  type: T.Union([
    T.Literal('SUBSCRIBE'),
    T.Literal('STATUS_UPDATE'),
    T.Literal('PONG'),
    T.Literal('EXITED_EXECUTOR'),
    T.Literal('EXECUTOR_MESSAGE'),
    T.Literal('UNREGISTER'),
  ]),
  agent_id: Opt(AgentID),
  subscribe: Opt(
    T.Object({
      version: T.Integer(),
      agent_info: AgentInfo,
      /** Total resources of the agent (AgentInfo.resources plus checkpointed dynamic reservations later). */
      checkpointed_resources: Opt(T.Array(Resource)),
      capabilities: Opt(T.Array(T.String())),
      frameworks: Opt(T.Array(FrameworkInfo)),
      executors: Opt(T.Array(T.Object({ framework_id: FrameworkID, executor: ExecutorInfo }))),
      tasks: Opt(T.Array(AgentTaskReport)),
      agent_version: Opt(T.String()),
    }),
  ),
  status_update: Opt(StatusUpdateBody),
  /** Several updates in one call, applied in order (the agent coalesces bursts: one POST instead of hundreds). */
  status_updates: Opt(T.Array(StatusUpdateBody)),
  exited_executor: Opt(T.Object({ framework_id: FrameworkID, executor_id: ExecutorID, status: Opt(T.Integer()) })),
  executor_message: Opt(T.Object({ framework_id: FrameworkID, executor_id: ExecutorID, data: Bytes() })),
});
export type AgentCallJson = Static<typeof AgentCall>;

/** Events on the agent's stream, sent by the master. */
export type AgentEvent =
  | {
      type: 'REGISTERED';
      registered: { agent_id: { value: string }; master_info: Static<typeof MasterInfoSchema>; ping_interval_seconds: number };
    }
  | { type: 'RUN_TASK'; run_task: { framework: Static<typeof FrameworkInfo>; task: Static<typeof TaskInfo> } }
  /** LAUNCH_GROUP: every task of the group, delivered atomically to one executor (normally the built-in default one). */
  | {
      type: 'RUN_TASK_GROUP';
      run_task_group: { framework: Static<typeof FrameworkInfo>; executor: Static<typeof ExecutorInfo>; task_group: { tasks: Static<typeof TaskInfo>[] } };
    }
  | {
      type: 'KILL_TASK';
      kill_task: { framework_id: { value: string }; task_id: { value: string }; kill_policy?: Static<typeof KillPolicy> };
    }
  | { type: 'ACKNOWLEDGE'; acknowledge: { framework_id: { value: string }; task_id: { value: string }; uuid: string } }
  | { type: 'SHUTDOWN_FRAMEWORK'; shutdown_framework: { framework_id: { value: string } } }
  | { type: 'SHUTDOWN_EXECUTOR'; shutdown_executor: { framework_id: { value: string }; executor_id: { value: string } } }
  | { type: 'FRAMEWORK_MESSAGE'; framework_message: { framework_id: { value: string }; executor_id: { value: string }; data: string } }
  | { type: 'UPDATE_FRAMEWORK'; update_framework: { framework: Static<typeof FrameworkInfo> } }
  /** The agent's new total after RESERVE/UNRESERVE/CREATE/DESTROY: persist it, report it as `checkpointed_resources`. */
  | { type: 'CHECKPOINT_RESOURCES'; checkpoint_resources: { resources: Static<typeof Resource>[] } }
  | { type: 'PING' }
  | { type: 'SHUTDOWN'; shutdown: { message: string } }
  | { type: 'ERROR'; error: { code: string; message: string } };

export type AgentEventType = AgentEvent['type'];

/** TaskID/ExecutorID schemas re-exported for protocol users. */
export { TaskID, ExecutorID };
