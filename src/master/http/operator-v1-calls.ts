/**
 * Dispatch of decoded master::Call messages (spec §5.9) to replies. Reads build a Response body; mutations
 * (UPDATE_WEIGHTS, UPDATE_QUOTA, TEARDOWN, MARK_AGENT_GONE) go through one Master/RoleSettings method and
 * answer an empty 200 only once the change is durable. Calls of later issues answer 501. SUBSCRIBE is
 * handled by the route (it becomes a stream).
 */
import type { MasterCallJson, MasterCallType, QuotaConfigJson } from '../../api/mesos/operator.js';
import { validateRole } from '../framework-validation.js';
import type { Master } from '../master.js';
import { metricsJson } from './metrics-json.js';
import { markAgentGone } from './operator-v1-gone.js';
import { runMaintenanceCall } from './maintenance-calls.js';
import { runMasterFilesCall } from './operator-v1-files.js';
import type { LoggingLevel } from '../../core/logging-level.js';
import {
  getAgents,
  getExecutors,
  getFrameworks,
  getMaster,
  getQuota,
  getRoles,
  getState,
  getTasks,
  getVersion,
  getWeights,
} from './operator-v1-responses.js';
import { parseWeights } from './quota-routes.js';
import { operatorConvert } from '../operator-conversions.js';
import type { ConversionKind } from '../offer-operations.js';
import { allocatorMetrics, rolesJson } from './roles-json.js';

/** Outcome of a non-streaming call: a Response body (200 JSON) or a status with a text body. */
export type OperatorReply = { readonly kind: 'response'; readonly body: Record<string, unknown> } | { readonly kind: 'status'; readonly status: number; readonly body: string };

/** What the calls need besides the master: the `/flags` view. */
export interface OperatorContext {
  readonly displayFlags: () => Record<string, string>;
  /** GET/SET_LOGGING_LEVEL state (registerOperatorV1Routes creates one when absent). */
  readonly loggingLevel?: LoggingLevel;
}

const NOT_IMPLEMENTED: ReadonlySet<MasterCallType> = new Set<MasterCallType>([
  'SET_QUOTA',
  'REMOVE_QUOTA',
  'GET_OPERATIONS',
  'GROW_VOLUME',
  'SHRINK_VOLUME',
]);

/** The sub-message each call needs (validation step, spec §1.5: 400 when absent). */
const REQUIRED_FIELD: Partial<Record<MasterCallType, keyof MasterCallJson>> = {
  UPDATE_WEIGHTS: 'update_weights',
  UPDATE_QUOTA: 'update_quota',
  TEARDOWN: 'teardown',
  MARK_AGENT_GONE: 'mark_agent_gone',
  UPDATE_MAINTENANCE_SCHEDULE: 'update_maintenance_schedule',
  START_MAINTENANCE: 'start_maintenance',
  STOP_MAINTENANCE: 'stop_maintenance',
  DRAIN_AGENT: 'drain_agent',
  DEACTIVATE_AGENT: 'deactivate_agent',
  REACTIVATE_AGENT: 'reactivate_agent',
  SET_LOGGING_LEVEL: 'set_logging_level',
  LIST_FILES: 'list_files',
  READ_FILE: 'read_file',
};

/** Validates a decoded call; the message follows `Failed to validate master::Call: `. */
export function validateMasterCall(call: MasterCallJson): string | undefined {
  if (call.type === undefined) return "Expecting 'type' to be present";
  const field = REQUIRED_FIELD[call.type];
  if (field !== undefined && call[field] === undefined) return `Expecting '${field}' to be present`;
  return undefined;
}

function response(type: string, field: string | undefined, body: Record<string, unknown> | undefined): OperatorReply {
  return { kind: 'response', body: field === undefined || body === undefined ? { type } : { type, [field]: body } };
}

function status(code: number, body = ''): OperatorReply {
  return { kind: 'status', status: code, body };
}

/** RESERVE_RESOURCES and friends: the same conversion as `/reserve` etc. (202, or 400/409 with a message). */
function converted(m: Master, agentId: string | undefined, kind: ConversionKind, resources: readonly unknown[] | undefined, source?: readonly unknown[]): OperatorReply {
  if (agentId === undefined) return status(400, `Failed to validate master::Call: Expecting the ${kind.toLowerCase()} sub-message to be present`);
  if (resources === undefined || resources.length === 0) return status(400, 'No resources given');
  const out = operatorConvert(m, agentId, kind, resources, source !== undefined ? { source } : {});
  return status(out.status, out.status === 202 ? '' : out.message);
}

/** Runs one non-SUBSCRIBE call (see the module comment). */
export async function runCall(m: Master, call: MasterCallJson, ctx: OperatorContext): Promise<OperatorReply> {
  const type = call.type ?? 'UNKNOWN';
  if (type === 'UNKNOWN') return status(501, 'Received an unexpected UNKNOWN call');
  if (NOT_IMPLEMENTED.has(type)) return status(501, `${type} is not implemented by Agora yet`);
  switch (type) {
    case 'GET_HEALTH':
      return response(type, 'get_health', { healthy: true });
    case 'GET_FLAGS':
      return response(type, 'get_flags', { flags: Object.entries(ctx.displayFlags()).map(([name, value]) => ({ name, value })) });
    case 'GET_VERSION':
      return response(type, 'get_version', getVersion());
    case 'GET_METRICS': {
      const ns = call.get_metrics?.timeout?.nanoseconds;
      if (ns !== undefined && ns < 0) return status(400, `Invalid timeout '${ns}ns'`);
      const all = { ...metricsJson(m), ...allocatorMetrics(m) };
      const metrics = Object.keys(all)
        .sort()
        .map((name) => ({ name, value: all[name] ?? 0 }));
      return response(type, 'get_metrics', { metrics });
    }
    case 'GET_LOGGING_LEVEL':
      return response(type, 'get_logging_level', { level: ctx.loggingLevel?.current ?? 0 });
    case 'SET_LOGGING_LEVEL':
    case 'LIST_FILES':
    case 'READ_FILE':
      if (ctx.loggingLevel === undefined) return status(501, `${type} is not available`);
      return runMasterFilesCall(call, ctx.loggingLevel);
    case 'GET_STATE':
      return response(type, 'get_state', getState(m));
    case 'GET_AGENTS':
      return response(type, 'get_agents', getAgents(m));
    case 'GET_FRAMEWORKS':
      return response(type, 'get_frameworks', getFrameworks(m));
    case 'GET_EXECUTORS':
      return response(type, 'get_executors', getExecutors(m));
    case 'GET_TASKS':
      return response(type, 'get_tasks', getTasks(m));
    case 'GET_ROLES':
      return response(type, 'get_roles', getRoles(m));
    case 'GET_WEIGHTS':
      return response(type, 'get_weights', getWeights(m));
    case 'GET_MASTER':
      return response(type, 'get_master', getMaster(m));
    case 'GET_QUOTA':
      return response(type, 'get_quota', getQuota(m));
    case 'UPDATE_WEIGHTS': {
      const parsed = parseWeights(m, JSON.stringify(call.update_weights?.weight_infos ?? []));
      if (!parsed.ok) return status(400, parsed.message);
      await m.roleSettings.setWeights(parsed.value);
      return status(200);
    }
    case 'UPDATE_QUOTA':
      return updateQuota(m, call.update_quota?.quota_configs ?? [], call.update_quota?.force ?? false);
    case 'TEARDOWN': {
      const id = call.teardown?.framework_id.value ?? '';
      const r = await m.teardown(id);
      if (r === 'unknown') return status(400, 'No framework found with specified ID');
      return r === 'removed' ? status(200) : status(503, 'The framework was removed but the removal could not be persisted in the registry');
    }
    case 'MARK_AGENT_GONE': {
      const r = await markAgentGone(m, call.mark_agent_gone?.agent_id.value ?? '');
      return status(r.status, r.body);
    }
    case 'GET_MAINTENANCE_STATUS':
    case 'GET_MAINTENANCE_SCHEDULE':
    case 'UPDATE_MAINTENANCE_SCHEDULE':
    case 'START_MAINTENANCE':
    case 'STOP_MAINTENANCE':
    case 'DRAIN_AGENT':
    case 'DEACTIVATE_AGENT':
    case 'REACTIVATE_AGENT': {
      const r = await runMaintenanceCall(m, call);
      return r.kind === 'response' ? response(type, r.field, r.body) : status(r.status, r.body);
    }
    case 'RESERVE_RESOURCES': {
      const c = call.reserve_resources;
      return converted(m, c?.agent_id.value, 'RESERVE', c?.resources, c?.source);
    }
    case 'UNRESERVE_RESOURCES':
      return converted(m, call.unreserve_resources?.agent_id.value, 'UNRESERVE', call.unreserve_resources?.resources);
    case 'CREATE_VOLUMES':
      return converted(m, call.create_volumes?.agent_id.value, 'CREATE', call.create_volumes?.volumes);
    case 'DESTROY_VOLUMES':
      return converted(m, call.destroy_volumes?.agent_id.value, 'DESTROY', call.destroy_volumes?.volumes);
    case 'SUBSCRIBE':
      return status(500, 'SUBSCRIBE is served by the route');
    default:
      return status(501, `${type} is not implemented by Agora yet`);
  }
}

const QUOTA_RESOURCES = new Set(['cpus', 'mem', 'disk', 'gpus']);

type Quota = { role: string; guarantees: Map<string, number>; limits: Map<string, number> };

function toMap(raw: Readonly<Record<string, { value: number }>> | undefined): Map<string, number> {
  return new Map(Object.entries(raw ?? {}).map(([k, v]) => [k, v.value]));
}

/** Validates one QuotaConfig; a message for a 400, or the parsed quota. */
function validateConfig(m: Master, c: QuotaConfigJson): string | Quota {
  const roleErr = validateRole(c.role);
  if (roleErr !== undefined) return `Invalid QuotaConfig: ${roleErr}`;
  if (c.role === '*') return "Invalid QuotaConfig: setting quota for the default '*' role is not supported";
  if (m.config.roles !== undefined && !m.config.roles.includes(c.role)) return `Invalid QuotaConfig: role '${c.role}' is not present in the master's --roles`;
  const guarantees = toMap(c.guarantees);
  const limits = toMap(c.limits);
  for (const [name, v] of [...guarantees, ...limits]) {
    if (!QUOTA_RESOURCES.has(name)) return `Invalid QuotaConfig: resource '${name}' is not one of cpus, mem, disk, gpus`;
    if (Number.isNaN(v)) return `Invalid QuotaConfig: value of '${name}' is not a number`;
    if (v < 0) return `Invalid QuotaConfig: negative value for '${name}'`;
  }
  for (const [name, g] of guarantees) {
    const l = limits.get(name);
    if (l !== undefined && g > l) return `Invalid QuotaConfig: guarantee '${name}:${g}' is greater than limit '${name}:${l}'`;
  }
  return { role: c.role, guarantees, limits };
}

/** UPDATE_QUOTA: all configs validated first, then applied (durably) together; empty config = no quota. */
async function updateQuota(m: Master, configs: readonly QuotaConfigJson[], force: boolean): Promise<OperatorReply> {
  const parsed: Quota[] = [];
  for (const c of configs) {
    const v = validateConfig(m, c);
    if (typeof v === 'string') return status(400, v);
    parsed.push(v);
  }
  if (new Set(parsed.map((q) => q.role)).size !== parsed.length) return status(400, 'Invalid QuotaConfig: duplicate role');
  if (!force) {
    const consumedByRole = new Map((rolesJson(m)['roles'] as { name: string; quota: { consumed: Record<string, number> } }[]).map((r) => [r.name, r.quota.consumed]));
    for (const q of parsed) {
      const consumed = consumedByRole.get(q.role) ?? {};
      for (const [name, limit] of q.limits) {
        const used = consumed[name] ?? 0;
        if (used > limit + 1e-9) {
          return status(409, `Role '${q.role}' is already consuming '${name}:${used}' which is above the requested limit '${name}:${limit}'; use 'force' to override`);
        }
      }
    }
  }
  for (const q of parsed) {
    if (q.guarantees.size === 0 && q.limits.size === 0) {
      if (m.roleSettings.quota(q.role) !== undefined) await m.roleSettings.removeQuota(q.role);
    } else {
      await m.roleSettings.setQuota(q);
    }
  }
  return status(200);
}

