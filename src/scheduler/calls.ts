/**
 * Builders for scheduler Call bodies (spec §2.1–§2.3). Pure functions: each returns the exact JSON an
 * upstream client would send, so the SDK and its tests agree on the wire shape in one place.
 */
import type { FiltersJson, FrameworkInfoJson, KillPolicyJson, TaskInfoJson } from '../api/mesos/common.js';
import type { CallType, OfferOperationJson, SchedulerCallJson } from '../api/mesos/scheduler.js';

/** An explicit reconciliation entry; `agentId` is recommended (it gives precise answers, spec §6.7). */
export interface ReconcileTask {
  readonly taskId: string;
  readonly agentId?: string;
}

const id = (value: string): { value: string } => ({ value });

/** The SUBSCRIBE body; with a framework id (re-subscription) both `framework_id` and `framework_info.id` carry it. */
export function subscribeCall(info: FrameworkInfoJson, frameworkId: string | undefined, suppressedRoles?: readonly string[]): SchedulerCallJson {
  const framework_info: FrameworkInfoJson = { ...info };
  if (frameworkId !== undefined) framework_info.id = id(frameworkId);
  else delete framework_info.id;
  const call: SchedulerCallJson = { type: 'SUBSCRIBE', subscribe: { framework_info } };
  if (suppressedRoles !== undefined && call.subscribe) call.subscribe.suppressed_roles = [...suppressedRoles];
  if (frameworkId !== undefined) call.framework_id = id(frameworkId);
  return call;
}

/** Any non-SUBSCRIBE call: `framework_id`, `type` and the lower-cased sub-field when a body is given. */
export function call(frameworkId: string, type: Exclude<CallType, 'SUBSCRIBE' | 'UNKNOWN'>, body?: object): SchedulerCallJson {
  const out: Record<string, unknown> = { framework_id: id(frameworkId), type };
  if (body !== undefined) out[type.toLowerCase()] = body;
  return out;
}

export function acceptBody(offerIds: readonly string[], operations: readonly OfferOperationJson[], filters?: FiltersJson): object {
  return { offer_ids: offerIds.map(id), operations: [...operations], ...(filters ? { filters } : {}) };
}

/** One LAUNCH operation for the given tasks. */
export function launchOperation(tasks: readonly TaskInfoJson[]): OfferOperationJson {
  return { type: 'LAUNCH', launch: { task_infos: [...tasks] } };
}

export function declineBody(offerIds: readonly string[], filters?: FiltersJson): object {
  return { offer_ids: offerIds.map(id), ...(filters ? { filters } : {}) };
}

export function rolesBody(roles?: readonly string[]): object | undefined {
  return roles === undefined ? undefined : { roles: [...roles] };
}

export function killBody(taskId: string, agentId?: string, killPolicy?: KillPolicyJson): object {
  return { task_id: id(taskId), ...(agentId !== undefined ? { agent_id: id(agentId) } : {}), ...(killPolicy ? { kill_policy: killPolicy } : {}) };
}

export function acknowledgeBody(agentId: string, taskId: string, uuid: string): object {
  return { agent_id: id(agentId), task_id: id(taskId), uuid };
}

export function reconcileBody(tasks: readonly ReconcileTask[]): object {
  return {
    tasks: tasks.map((t) => ({ task_id: id(t.taskId), ...(t.agentId !== undefined ? { agent_id: id(t.agentId) } : {}) })),
  };
}

/** `data` is raw bytes; it goes on the wire as base64. */
export function messageBody(agentId: string, executorId: string, data: Uint8Array | string): object {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  return { agent_id: id(agentId), executor_id: id(executorId), data: bytes.toString('base64') };
}

export function shutdownBody(executorId: string, agentId: string): object {
  return { executor_id: id(executorId), agent_id: id(agentId) };
}

export function updateFrameworkBody(info: FrameworkInfoJson, frameworkId: string, suppressedRoles?: readonly string[]): object {
  return { framework_info: { ...info, id: id(frameworkId) }, ...(suppressedRoles !== undefined ? { suppressed_roles: [...suppressedRoles] } : {}) };
}
