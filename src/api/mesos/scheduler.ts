/** mesos.v1.scheduler Call and Event (shared/spec/mesos-api.md §2). */
import { Type as T, type Static, type TSchema } from '@sinclair/typebox';
import {
  AgentID,
  Bytes,
  Enum,
  ExecutorID,
  ExecutorInfo,
  Filters,
  FrameworkID,
  FrameworkInfo,
  KillPolicy,
  OfferID,
  OperationID,
  Resource,
  TaskGroupInfo,
  TaskID,
  TaskInfo,
  type MasterInfoJson,
  type OfferJson,
  type TaskStatusJson,
} from './common.js';

const Opt = <S extends TSchema>(s: S) => T.Optional(s);

export const CALL_TYPES = [
  'UNKNOWN',
  'SUBSCRIBE',
  'TEARDOWN',
  'ACCEPT',
  'DECLINE',
  'ACCEPT_INVERSE_OFFERS',
  'DECLINE_INVERSE_OFFERS',
  'REVIVE',
  'KILL',
  'SHUTDOWN',
  'ACKNOWLEDGE',
  'ACKNOWLEDGE_OPERATION_STATUS',
  'RECONCILE',
  'RECONCILE_OPERATIONS',
  'MESSAGE',
  'REQUEST',
  'SUPPRESS',
  'UPDATE_FRAMEWORK',
] as const;
export type CallType = (typeof CALL_TYPES)[number];

export const OfferOperation = T.Object({
  type: Opt(
    Enum([
      'UNKNOWN',
      'LAUNCH',
      'LAUNCH_GROUP',
      'RESERVE',
      'UNRESERVE',
      'CREATE',
      'DESTROY',
      'GROW_VOLUME',
      'SHRINK_VOLUME',
      'CREATE_DISK',
      'DESTROY_DISK',
    ] as const),
  ),
  id: Opt(OperationID),
  launch: Opt(T.Object({ task_infos: Opt(T.Array(TaskInfo)) })),
  launch_group: Opt(T.Object({ executor: ExecutorInfo, task_group: TaskGroupInfo })),
  reserve: Opt(T.Object({ source: Opt(T.Array(Resource)), resources: Opt(T.Array(Resource)) })),
  unreserve: Opt(T.Object({ resources: Opt(T.Array(Resource)) })),
  create: Opt(T.Object({ volumes: Opt(T.Array(Resource)) })),
  destroy: Opt(T.Object({ volumes: Opt(T.Array(Resource)) })),
  grow_volume: Opt(T.Unknown()),
  shrink_volume: Opt(T.Unknown()),
  create_disk: Opt(T.Unknown()),
  destroy_disk: Opt(T.Unknown()),
});
export type OfferOperationJson = Static<typeof OfferOperation>;

export const SchedulerCall = T.Object({
  framework_id: Opt(FrameworkID),
  type: Opt(Enum(CALL_TYPES)),
  subscribe: Opt(
    T.Object({
      framework_info: FrameworkInfo,
      suppressed_roles: Opt(T.Array(T.String())),
      offer_constraints: Opt(T.Unknown()),
    }),
  ),
  accept: Opt(T.Object({ offer_ids: Opt(T.Array(OfferID)), operations: Opt(T.Array(OfferOperation)), filters: Opt(Filters) })),
  decline: Opt(T.Object({ offer_ids: Opt(T.Array(OfferID)), filters: Opt(Filters) })),
  accept_inverse_offers: Opt(T.Object({ inverse_offer_ids: Opt(T.Array(OfferID)), filters: Opt(Filters) })),
  decline_inverse_offers: Opt(T.Object({ inverse_offer_ids: Opt(T.Array(OfferID)), filters: Opt(Filters) })),
  revive: Opt(T.Object({ roles: Opt(T.Array(T.String())) })),
  kill: Opt(T.Object({ task_id: TaskID, agent_id: Opt(AgentID), kill_policy: Opt(KillPolicy) })),
  shutdown: Opt(T.Object({ executor_id: ExecutorID, agent_id: AgentID })),
  acknowledge: Opt(T.Object({ agent_id: AgentID, task_id: TaskID, uuid: Bytes() })),
  acknowledge_operation_status: Opt(
    T.Object({ agent_id: Opt(AgentID), resource_provider_id: Opt(T.Unknown()), uuid: Bytes(), operation_id: OperationID }),
  ),
  reconcile: Opt(T.Object({ tasks: Opt(T.Array(T.Object({ task_id: TaskID, agent_id: Opt(AgentID) }))) })),
  reconcile_operations: Opt(T.Object({ operations: Opt(T.Array(T.Unknown())) })),
  message: Opt(T.Object({ agent_id: AgentID, executor_id: ExecutorID, data: Bytes() })),
  request: Opt(T.Object({ requests: Opt(T.Array(T.Object({ agent_id: Opt(AgentID), resources: Opt(T.Array(Resource)) }))) })),
  suppress: Opt(T.Object({ roles: Opt(T.Array(T.String())) })),
  update_framework: Opt(
    T.Object({ framework_info: FrameworkInfo, suppressed_roles: Opt(T.Array(T.String())), offer_constraints: Opt(T.Unknown()) }),
  ),
});
export type SchedulerCallJson = Static<typeof SchedulerCall>;

/** Events on the scheduler stream; the sub-field is always the lower-cased type (mesos-framework relies on it). */
export type SchedulerEvent =
  | { type: 'SUBSCRIBED'; subscribed: { framework_id: { value: string }; heartbeat_interval_seconds: number; master_info: MasterInfoJson } }
  | { type: 'OFFERS'; offers: { offers: OfferJson[] } }
  | { type: 'INVERSE_OFFERS'; inverse_offers: { inverse_offers: unknown[] } }
  | { type: 'RESCIND'; rescind: { offer_id: { value: string } } }
  | { type: 'RESCIND_INVERSE_OFFER'; rescind_inverse_offer: { inverse_offer_id: { value: string } } }
  | { type: 'UPDATE'; update: { status: TaskStatusJson } }
  | { type: 'UPDATE_OPERATION_STATUS'; update_operation_status: { status: unknown } }
  | { type: 'MESSAGE'; message: { agent_id: { value: string }; executor_id: { value: string }; data: string } }
  | { type: 'FAILURE'; failure: { agent_id?: { value: string }; executor_id?: { value: string }; status?: number } }
  | { type: 'ERROR'; error: { message: string } }
  | { type: 'HEARTBEAT' };
