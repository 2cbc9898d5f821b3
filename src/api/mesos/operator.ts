/**
 * mesos.v1.master Call / Response / Event of the v1 operator API (spec §5.9), as TypeBox schemas for the
 * request decoder, plus the type names of responses and events. Sub-messages of calls that Agora does not
 * serve yet are decoded loosely (`Unknown`); the served ones are typed so the decoder reports missing
 * required fields as upstream does.
 */
import { Type as T, type Static, type TSchema } from '@sinclair/typebox';
import { AgentID, DurationInfo, Enum, FrameworkID, Resource, Scalar } from './common.js';
import { ListFilesCall, ReadFileCall } from './agent-operator.js';

const Opt = <S extends TSchema>(s: S) => T.Optional(s);

/** master::Call::Type names in proto order (value = index). */
export const MASTER_CALL_TYPES = [
  'UNKNOWN',
  'GET_HEALTH',
  'GET_FLAGS',
  'GET_VERSION',
  'GET_METRICS',
  'GET_LOGGING_LEVEL',
  'SET_LOGGING_LEVEL',
  'LIST_FILES',
  'READ_FILE',
  'GET_STATE',
  'GET_AGENTS',
  'GET_FRAMEWORKS',
  'GET_EXECUTORS',
  'GET_TASKS',
  'GET_ROLES',
  'GET_WEIGHTS',
  'UPDATE_WEIGHTS',
  'GET_MASTER',
  'SUBSCRIBE',
  'RESERVE_RESOURCES',
  'UNRESERVE_RESOURCES',
  'CREATE_VOLUMES',
  'DESTROY_VOLUMES',
  'GET_MAINTENANCE_STATUS',
  'GET_MAINTENANCE_SCHEDULE',
  'UPDATE_MAINTENANCE_SCHEDULE',
  'START_MAINTENANCE',
  'STOP_MAINTENANCE',
  'GET_QUOTA',
  'SET_QUOTA',
  'REMOVE_QUOTA',
  'TEARDOWN',
  'MARK_AGENT_GONE',
  'GET_OPERATIONS',
  'GROW_VOLUME',
  'SHRINK_VOLUME',
  'UPDATE_QUOTA',
  'DRAIN_AGENT',
  'DEACTIVATE_AGENT',
  'REACTIVATE_AGENT',
] as const;
export type MasterCallType = (typeof MASTER_CALL_TYPES)[number];

/** quota.QuotaConfig: guarantees and limits are maps of resource name → Value.Scalar. */
export const QuotaConfig = T.Object({
  role: T.String(),
  guarantees: Opt(T.Record(T.String(), Scalar)),
  limits: Opt(T.Record(T.String(), Scalar)),
});
export type QuotaConfigJson = Static<typeof QuotaConfig>;

/** WeightInfo. */
export const WeightInfo = T.Object({ weight: T.Number(), role: Opt(T.String()) });

/** mesos.MachineID, mesos.Unavailability and maintenance.Schedule (spec §5.5). */
export const MachineID = T.Object({ hostname: Opt(T.String()), ip: Opt(T.String()) });
export const Unavailability = T.Object({ start: T.Object({ nanoseconds: T.Integer() }), duration: Opt(DurationInfo) });
export const MaintenanceSchedule = T.Object({
  windows: Opt(T.Array(T.Object({ machine_ids: Opt(T.Array(MachineID)), unavailability: Unavailability }))),
});
export type MaintenanceScheduleJson = Static<typeof MaintenanceSchedule>;
/** google.protobuf.Duration as upstream's JSON of DRAIN_AGENT carries it (`{"seconds":600,"nanos":0}`). */
export const ProtobufDuration = T.Object({ seconds: Opt(T.Integer()), nanos: Opt(T.Integer()) });

/** master::Call. */
export const MasterCall = T.Object({
  type: Opt(Enum(MASTER_CALL_TYPES)),
  get_metrics: Opt(T.Object({ timeout: Opt(DurationInfo) })),
  set_logging_level: Opt(T.Object({ level: T.Integer({ minimum: 0 }), duration: DurationInfo })),
  list_files: Opt(ListFilesCall),
  read_file: Opt(ReadFileCall),
  update_weights: Opt(T.Object({ weight_infos: Opt(T.Array(WeightInfo)) })),
  reserve_resources: Opt(T.Object({ agent_id: AgentID, source: Opt(T.Array(Resource)), resources: Opt(T.Array(Resource)) })),
  unreserve_resources: Opt(T.Object({ agent_id: AgentID, resources: Opt(T.Array(Resource)) })),
  create_volumes: Opt(T.Object({ agent_id: AgentID, volumes: Opt(T.Array(Resource)) })),
  destroy_volumes: Opt(T.Object({ agent_id: AgentID, volumes: Opt(T.Array(Resource)) })),
  update_maintenance_schedule: Opt(T.Object({ schedule: MaintenanceSchedule })),
  start_maintenance: Opt(T.Object({ machines: Opt(T.Array(MachineID)) })),
  stop_maintenance: Opt(T.Object({ machines: Opt(T.Array(MachineID)) })),
  set_quota: Opt(T.Unknown()),
  remove_quota: Opt(T.Unknown()),
  teardown: Opt(T.Object({ framework_id: FrameworkID })),
  mark_agent_gone: Opt(T.Object({ agent_id: AgentID })),
  grow_volume: Opt(T.Unknown()),
  shrink_volume: Opt(T.Unknown()),
  update_quota: Opt(T.Object({ force: Opt(T.Boolean()), quota_configs: Opt(T.Array(QuotaConfig)) })),
  drain_agent: Opt(T.Object({ agent_id: AgentID, max_grace_period: Opt(ProtobufDuration), mark_gone: Opt(T.Boolean()) })),
  deactivate_agent: Opt(T.Object({ agent_id: AgentID })),
  reactivate_agent: Opt(T.Object({ agent_id: AgentID })),
});
export type MasterCallJson = Static<typeof MasterCall>;

/** master::Event::Type names in proto order. */
export const MASTER_EVENT_TYPES = [
  'UNKNOWN',
  'SUBSCRIBED',
  'TASK_ADDED',
  'TASK_UPDATED',
  'AGENT_ADDED',
  'AGENT_REMOVED',
  'FRAMEWORK_ADDED',
  'FRAMEWORK_UPDATED',
  'FRAMEWORK_REMOVED',
  'HEARTBEAT',
] as const;
export type MasterEventType = (typeof MASTER_EVENT_TYPES)[number];

type Json = Record<string, unknown>;

/** A master::Event as sent on the operator stream (`<field>` = lower-cased type, HEARTBEAT has none). */
export type MasterEvent =
  | { type: 'SUBSCRIBED'; subscribed: { get_state: Json; heartbeat_interval_seconds: number } }
  | { type: 'TASK_ADDED'; task_added: { task: Json } }
  | { type: 'TASK_UPDATED'; task_updated: { framework_id: { value: string }; status: Json; state: string } }
  | { type: 'AGENT_ADDED'; agent_added: { agent: Json } }
  | { type: 'AGENT_REMOVED'; agent_removed: { agent_id: { value: string } } }
  | { type: 'FRAMEWORK_ADDED'; framework_added: { framework: Json } }
  | { type: 'FRAMEWORK_UPDATED'; framework_updated: { framework: Json } }
  | { type: 'FRAMEWORK_REMOVED'; framework_removed: { framework_info: Json } }
  | { type: 'HEARTBEAT' };
