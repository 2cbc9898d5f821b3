/**
 * mesos.v1 messages used by the scheduler, executor and operator APIs, as TypeBox schemas. Field names,
 * required-ness and enum names follow include/mesos/v1/mesos.proto (see shared/spec/mesos-api.md §3).
 * Static types come from the same schemas, so the decoder and the code cannot drift apart.
 */
import { Type as T, type Static, type TSchema, type TUnion, type TLiteral } from '@sinclair/typebox';

const Opt = <S extends TSchema>(s: S) => T.Optional(s);
export function Enum<const V extends readonly string[]>(values: V): TUnion<TLiteral<V[number]>[]> {
  return T.Union(values.map((v) => T.Literal(v)));
}
export const Bytes = () => T.String({ format: 'byte' });
const Id = () => T.Object({ value: T.String({ maxLength: 1024 }) });

export const FrameworkID = Id();
export const AgentID = Id();
export const OfferID = Id();
export const TaskID = Id();
export const ExecutorID = Id();
export const OperationID = Id();
export const ContainerID = T.Object({ value: T.String(), parent: Opt(T.Unknown()) });

export const Label = T.Object({ key: T.String(), value: Opt(T.String()) });
export const Labels = T.Object({ labels: Opt(T.Array(Label)) });
export const Parameter = T.Object({ key: T.String(), value: T.String() });

export const ValueType = Enum(['SCALAR', 'RANGES', 'SET', 'TEXT'] as const);
export const Scalar = T.Object({ value: T.Number() });
export const Range = T.Object({ begin: T.Integer({ minimum: 0 }), end: T.Integer({ minimum: 0 }) });
export const Ranges = T.Object({ range: Opt(T.Array(Range)) });
export const ValueSet = T.Object({ item: Opt(T.Array(T.String())) });
export const Text = T.Object({ value: T.String() });

export const Attribute = T.Object({
  name: T.String(),
  type: ValueType,
  scalar: Opt(Scalar),
  ranges: Opt(Ranges),
  set: Opt(ValueSet),
  text: Opt(Text),
});

export const ReservationInfo = T.Object({
  type: Opt(Enum(['UNKNOWN', 'STATIC', 'DYNAMIC'] as const)),
  role: Opt(T.String()),
  principal: Opt(T.String()),
  labels: Opt(Labels),
});

export const Resource = T.Object({
  provider_id: Opt(T.Unknown()),
  name: T.String(),
  type: Enum(['SCALAR', 'RANGES', 'SET'] as const),
  scalar: Opt(Scalar),
  ranges: Opt(Ranges),
  set: Opt(ValueSet),
  role: Opt(T.String()),
  allocation_info: Opt(T.Object({ role: Opt(T.String()) })),
  reservation: Opt(ReservationInfo),
  reservations: Opt(T.Array(ReservationInfo)),
  disk: Opt(T.Unknown()),
  revocable: Opt(T.Unknown()),
  shared: Opt(T.Unknown()),
});
export type ResourceJson = Static<typeof Resource>;

export const DurationInfo = T.Object({ nanoseconds: T.Integer() });
export const TimeInfo = T.Object({ nanoseconds: T.Integer() });

export const Address = T.Object({ hostname: Opt(T.String()), ip: Opt(T.String()), port: T.Integer() });
export const URL = T.Object({
  scheme: T.String(),
  address: Address,
  path: Opt(T.String()),
  query: Opt(T.Array(Parameter)),
  fragment: Opt(T.String()),
});

export const FrameworkCapabilityType = Enum([
  'UNKNOWN',
  'REVOCABLE_RESOURCES',
  'TASK_KILLING_STATE',
  'GPU_RESOURCES',
  'SHARED_RESOURCES',
  'PARTITION_AWARE',
  'MULTI_ROLE',
  'RESERVATION_REFINEMENT',
  'REGION_AWARE',
] as const);
export type FrameworkCapability = Static<typeof FrameworkCapabilityType>;

export const FrameworkInfo = T.Object({
  user: T.String(),
  name: T.String(),
  id: Opt(FrameworkID),
  failover_timeout: Opt(T.Number()),
  checkpoint: Opt(T.Boolean()),
  role: Opt(T.String()),
  roles: Opt(T.Array(T.String())),
  hostname: Opt(T.String()),
  principal: Opt(T.String()),
  webui_url: Opt(T.String()),
  capabilities: Opt(T.Array(T.Object({ type: Opt(FrameworkCapabilityType) }))),
  labels: Opt(Labels),
  offer_filters: Opt(T.Record(T.String(), T.Unknown())),
});
export type FrameworkInfoJson = Static<typeof FrameworkInfo>;

export const EnvironmentVariable = T.Object({
  name: T.String(),
  type: Opt(Enum(['UNKNOWN', 'VALUE', 'SECRET'] as const)),
  value: Opt(T.String()),
  secret: Opt(T.Unknown()),
});
export const Environment = T.Object({ variables: Opt(T.Array(EnvironmentVariable)) });

export const CommandURI = T.Object({
  value: T.String(),
  executable: Opt(T.Boolean()),
  extract: Opt(T.Boolean()),
  cache: Opt(T.Boolean()),
  output_file: Opt(T.String()),
});

export const CommandInfo = T.Object({
  uris: Opt(T.Array(CommandURI)),
  environment: Opt(Environment),
  shell: Opt(T.Boolean()),
  value: Opt(T.String()),
  arguments: Opt(T.Array(T.String())),
  user: Opt(T.String()),
});
export type CommandInfoJson = Static<typeof CommandInfo>;

export const KillPolicy = T.Object({ grace_period: Opt(DurationInfo) });

export const HealthCheck = T.Object({
  delay_seconds: Opt(T.Number()),
  interval_seconds: Opt(T.Number()),
  timeout_seconds: Opt(T.Number()),
  consecutive_failures: Opt(T.Integer()),
  grace_period_seconds: Opt(T.Number()),
  type: Opt(Enum(['UNKNOWN', 'COMMAND', 'HTTP', 'TCP'] as const)),
  command: Opt(CommandInfo),
  http: Opt(
    T.Object({
      protocol: Opt(Enum(['IPv4', 'IPv6'] as const)),
      scheme: Opt(T.String()),
      port: T.Integer(),
      path: Opt(T.String()),
      statuses: Opt(T.Array(T.Integer())),
    }),
  ),
  tcp: Opt(T.Object({ protocol: Opt(Enum(['IPv4', 'IPv6'] as const)), port: T.Integer() })),
});

const CheckType = Enum(['UNKNOWN', 'COMMAND', 'HTTP', 'TCP'] as const);

/** CheckInfo (spec §3.4): a general check whose result goes to TaskStatus.check_status; never kills. */
export const CheckInfo = T.Object({
  type: Opt(CheckType),
  command: Opt(T.Object({ command: CommandInfo })),
  http: Opt(T.Object({ port: T.Integer(), path: Opt(T.String()) })),
  tcp: Opt(T.Object({ port: T.Integer() })),
  delay_seconds: Opt(T.Number()),
  interval_seconds: Opt(T.Number()),
  timeout_seconds: Opt(T.Number()),
});
export type CheckInfoJson = Static<typeof CheckInfo>;

/** CheckStatusInfo (spec §3.6): the latest result of TaskInfo.check; an empty sub-message means "no result yet / failed". */
export const CheckStatusInfo = T.Object({
  type: Opt(CheckType),
  command: Opt(T.Object({ exit_code: Opt(T.Integer()) })),
  http: Opt(T.Object({ status_code: Opt(T.Integer()) })),
  tcp: Opt(T.Object({ succeeded: Opt(T.Boolean()) })),
});
export type CheckStatusInfoJson = Static<typeof CheckStatusInfo>;

export const ExecutorInfo = T.Object({
  type: Opt(Enum(['UNKNOWN', 'DEFAULT', 'CUSTOM'] as const)),
  executor_id: ExecutorID,
  framework_id: Opt(FrameworkID),
  command: Opt(CommandInfo),
  container: Opt(T.Unknown()),
  resources: Opt(T.Array(Resource)),
  name: Opt(T.String()),
  source: Opt(T.String()),
  data: Opt(Bytes()),
  discovery: Opt(T.Unknown()),
  shutdown_grace_period: Opt(DurationInfo),
  labels: Opt(Labels),
});
export type ExecutorInfoJson = Static<typeof ExecutorInfo>;

export const TaskInfo = T.Object({
  name: T.String(),
  task_id: TaskID,
  agent_id: AgentID,
  resources: Opt(T.Array(Resource)),
  executor: Opt(ExecutorInfo),
  command: Opt(CommandInfo),
  container: Opt(T.Unknown()),
  health_check: Opt(HealthCheck),
  check: Opt(CheckInfo),
  kill_policy: Opt(KillPolicy),
  data: Opt(Bytes()),
  labels: Opt(Labels),
  discovery: Opt(T.Unknown()),
  max_completion_time: Opt(DurationInfo),
  limits: Opt(T.Record(T.String(), T.Unknown())),
});
export type TaskInfoJson = Static<typeof TaskInfo>;

export const TaskGroupInfo = T.Object({ tasks: Opt(T.Array(TaskInfo)) });

export const TASK_STATES = [
  'TASK_STAGING',
  'TASK_STARTING',
  'TASK_RUNNING',
  'TASK_KILLING',
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_UNREACHABLE',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
  'TASK_UNKNOWN',
] as const;
export const TaskState = Enum(TASK_STATES);
export type TaskStateName = (typeof TASK_STATES)[number];

/** Terminal as the master and agent count them (TASK_UNREACHABLE and TASK_UNKNOWN are not). */
export function isTerminalState(s: TaskStateName): boolean {
  return (
    s === 'TASK_FINISHED' ||
    s === 'TASK_FAILED' ||
    s === 'TASK_KILLED' ||
    s === 'TASK_LOST' ||
    s === 'TASK_ERROR' ||
    s === 'TASK_DROPPED' ||
    s === 'TASK_GONE' ||
    s === 'TASK_GONE_BY_OPERATOR'
  );
}

export const REASONS = [
  'REASON_COMMAND_EXECUTOR_FAILED',
  'REASON_EXECUTOR_TERMINATED',
  'REASON_EXECUTOR_UNREGISTERED',
  'REASON_FRAMEWORK_REMOVED',
  'REASON_GC_ERROR',
  'REASON_INVALID_FRAMEWORKID',
  'REASON_INVALID_OFFERS',
  'REASON_MASTER_DISCONNECTED',
  'REASON_CONTAINER_LIMITATION_MEMORY',
  'REASON_RECONCILIATION',
  'REASON_AGENT_DISCONNECTED',
  'REASON_AGENT_REMOVED',
  'REASON_AGENT_RESTARTED',
  'REASON_AGENT_UNKNOWN',
  'REASON_TASK_INVALID',
  'REASON_TASK_UNAUTHORIZED',
  'REASON_TASK_UNKNOWN',
  'REASON_CONTAINER_PREEMPTED',
  'REASON_RESOURCES_UNKNOWN',
  'REASON_CONTAINER_LIMITATION',
  'REASON_CONTAINER_LIMITATION_DISK',
  'REASON_CONTAINER_LAUNCH_FAILED',
  'REASON_CONTAINER_UPDATE_FAILED',
  'REASON_EXECUTOR_REGISTRATION_TIMEOUT',
  'REASON_EXECUTOR_REREGISTRATION_TIMEOUT',
  'REASON_TASK_GROUP_INVALID',
  'REASON_TASK_GROUP_UNAUTHORIZED',
  'REASON_IO_SWITCHBOARD_EXITED',
  'REASON_TASK_CHECK_STATUS_UPDATED',
  'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED',
  'REASON_TASK_KILLED_DURING_LAUNCH',
  'REASON_AGENT_REMOVED_BY_OPERATOR',
  'REASON_AGENT_REREGISTERED',
  'REASON_MAX_COMPLETION_TIME_REACHED',
  'REASON_AGENT_DRAINING',
] as const;
export type ReasonName = (typeof REASONS)[number];
export const SourceName = Enum(['SOURCE_MASTER', 'SOURCE_AGENT', 'SOURCE_EXECUTOR'] as const);
export type StatusSource = Static<typeof SourceName>;

export const TaskStatus = T.Object({
  task_id: TaskID,
  state: TaskState,
  message: Opt(T.String()),
  source: Opt(SourceName),
  reason: Opt(Enum(REASONS)),
  data: Opt(Bytes()),
  agent_id: Opt(AgentID),
  executor_id: Opt(ExecutorID),
  timestamp: Opt(T.Number()),
  uuid: Opt(Bytes()),
  healthy: Opt(T.Boolean()),
  check_status: Opt(CheckStatusInfo),
  labels: Opt(Labels),
  container_status: Opt(T.Unknown()),
  unreachable_time: Opt(TimeInfo),
  limitation: Opt(T.Unknown()),
});
export type TaskStatusJson = Static<typeof TaskStatus>;

export const Filters = T.Object({ refuse_seconds: Opt(T.Number()) });

export const MasterInfoSchema = T.Object({
  id: T.String(),
  ip: T.Integer(),
  port: T.Integer(),
  pid: Opt(T.String()),
  hostname: Opt(T.String()),
  version: Opt(T.String()),
  address: Opt(Address),
  domain: Opt(T.Unknown()),
  capabilities: Opt(T.Array(T.Object({ type: T.String() }))),
});
export type MasterInfoJson = Static<typeof MasterInfoSchema>;

export const AgentInfo = T.Object({
  hostname: T.String(),
  port: Opt(T.Integer()),
  resources: Opt(T.Array(Resource)),
  attributes: Opt(T.Array(Attribute)),
  id: Opt(AgentID),
  domain: Opt(T.Unknown()),
});
export type AgentInfoJson = Static<typeof AgentInfo>;

export type AttributeJson = Static<typeof Attribute>;
export type LabelsJson = Static<typeof Labels>;
export type KillPolicyJson = Static<typeof KillPolicy>;
export type HealthCheckJson = Static<typeof HealthCheck>;
export type FiltersJson = Static<typeof Filters>;
export type EnvironmentJson = Static<typeof Environment>;

/** The Offer as sent in OFFERS events. */
export interface OfferJson {
  id: { value: string };
  framework_id: { value: string };
  agent_id: { value: string };
  hostname: string;
  url: { scheme: string; address: { hostname: string; ip: string; port: number }; path: string };
  resources: unknown[];
  attributes?: AttributeJson[];
  executor_ids?: { value: string }[];
  allocation_info?: { role: string };
  /** Planned maintenance window of the agent's machine. */
  unavailability?: { start: { nanoseconds: number }; duration?: { nanoseconds: number } };
}
