/**
 * mesos.v1.agent Call of the v1 agent operator API (spec §5.10) as a TypeBox schema for the request
 * decoder, plus the files sub-messages shared with the master's call (§5.9 LIST_FILES / READ_FILE).
 * Sub-messages of calls Agora does not serve are decoded loosely (`Unknown`). Schemas only, no logic.
 */
import { Type as T, type Static, type TSchema } from '@sinclair/typebox';
import { ContainerID, DurationInfo, Enum } from './common.js';

const Opt = <S extends TSchema>(s: S) => T.Optional(s);

/** agent::Call::Type names by proto value (index = value). */
export const AGENT_CALL_TYPES = [
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
  'GET_CONTAINERS',
  'GET_FRAMEWORKS',
  'GET_EXECUTORS',
  'GET_TASKS',
  'LAUNCH_NESTED_CONTAINER',
  'WAIT_NESTED_CONTAINER',
  'KILL_NESTED_CONTAINER',
  'LAUNCH_NESTED_CONTAINER_SESSION',
  'ATTACH_CONTAINER_INPUT',
  'ATTACH_CONTAINER_OUTPUT',
  'GET_AGENT',
  'REMOVE_NESTED_CONTAINER',
  'LAUNCH_CONTAINER',
  'WAIT_CONTAINER',
  'KILL_CONTAINER',
  'REMOVE_CONTAINER',
  'GET_RESOURCE_PROVIDERS',
  'ADD_RESOURCE_PROVIDER_CONFIG',
  'UPDATE_RESOURCE_PROVIDER_CONFIG',
  'REMOVE_RESOURCE_PROVIDER_CONFIG',
  'PRUNE_IMAGES',
  'GET_OPERATIONS',
  'MARK_RESOURCE_PROVIDER_GONE',
] as const;
export type AgentCallType = (typeof AGENT_CALL_TYPES)[number];

/** Call.ListFiles (master and agent): `path` is a virtual or attached host path. */
export const ListFilesCall = T.Object({ path: T.String() });

/** Call.ReadFile (master and agent): `offset` required, `length` optional (read to EOF, capped). */
export const ReadFileCall = T.Object({ path: T.String(), offset: T.Integer({ minimum: 0 }), length: Opt(T.Integer({ minimum: 0 })) });

/** Call.SetLoggingLevel (master and agent): glog verbosity `level` for `duration`. */
export const SetLoggingLevelCall = T.Object({ level: T.Integer({ minimum: 0 }), duration: DurationInfo });

/** agent::Call. */
export const AgentOperatorCall = T.Object({
  type: Opt(Enum(AGENT_CALL_TYPES)),
  get_metrics: Opt(T.Object({ timeout: Opt(DurationInfo) })),
  set_logging_level: Opt(SetLoggingLevelCall),
  list_files: Opt(ListFilesCall),
  read_file: Opt(ReadFileCall),
  get_containers: Opt(T.Object({ show_nested: Opt(T.Boolean()), show_standalone: Opt(T.Boolean()) })),
  kill_container: Opt(T.Object({ container_id: ContainerID, signal: Opt(T.Integer()) })),
  launch_nested_container: Opt(T.Unknown()),
  wait_nested_container: Opt(T.Unknown()),
  kill_nested_container: Opt(T.Unknown()),
  remove_nested_container: Opt(T.Unknown()),
  launch_nested_container_session: Opt(T.Unknown()),
  attach_container_input: Opt(T.Unknown()),
  attach_container_output: Opt(T.Unknown()),
  launch_container: Opt(T.Unknown()),
  wait_container: Opt(T.Unknown()),
  remove_container: Opt(T.Unknown()),
  add_resource_provider_config: Opt(T.Unknown()),
  update_resource_provider_config: Opt(T.Unknown()),
  remove_resource_provider_config: Opt(T.Unknown()),
  prune_images: Opt(T.Unknown()),
  mark_resource_provider_gone: Opt(T.Unknown()),
});
export type AgentOperatorCallJson = Static<typeof AgentOperatorCall>;
