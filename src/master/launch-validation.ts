/**
 * Pure ACCEPT validation (spec §2.5): the offer list, then each TaskInfo of a LAUNCH against the pool of
 * offered resources still unused. Messages follow upstream's master/validation.cpp wording.
 */
import type { ExecutorInfoJson, ResourceJson, TaskInfoJson } from '../api/mesos/common.js';
import type { FrameworkId, OfferId } from '../core/ids.js';
import { fromWire, type Resources, type WireResource } from '../core/resources.js';
import { errorMessage } from '../core/errors.js';
import { checkSpec, healthSpec } from '../api/mesos/health-spec.js';
import type { OfferRec } from './types.js';

/** The offers of an ACCEPT, or the reason they are invalid. */
export type OfferVerdict = { ok: true; offers: OfferRec[] } | { ok: false; message: string };

/** Step 1: non-empty, no duplicates, all outstanding, ours, one agent, one role. */
export function validateOffers(ids: readonly string[], lookup: (id: OfferId) => OfferRec | undefined, frameworkId: FrameworkId): OfferVerdict {
  if (ids.length === 0) return { ok: false, message: 'No offers specified' };
  const seen = new Set<string>();
  const offers: OfferRec[] = [];
  for (const id of ids) {
    if (seen.has(id)) return { ok: false, message: `Duplicate offer ${id} in offer list` };
    seen.add(id);
    const offer = lookup(id as OfferId);
    if (offer === undefined) return { ok: false, message: `Offer ${id} is no longer valid` };
    if (offer.frameworkId !== frameworkId) return { ok: false, message: `Offer ${id} has invalid framework ${offer.frameworkId} while framework ${frameworkId} is expected` };
    offers.push(offer);
  }
  const first = offers[0];
  if (first !== undefined) {
    if (offers.some((o) => o.agentId !== first.agentId)) return { ok: false, message: 'Aggregated offers must belong to one single agent' };
    if (offers.some((o) => o.role !== first.role)) return { ok: false, message: 'Aggregated offers must be allocated to the same role' };
  }
  return { ok: true, offers };
}

/** Step 2: resources without allocation_info get the offer's role. */
export function injectAllocationRole(resources: readonly ResourceJson[] | undefined, role: string): ResourceJson[] {
  return (resources ?? []).map((r) => (r.allocation_info?.role !== undefined ? r : { ...r, allocation_info: { role } }));
}

/** The resources a valid task consumes, or the TASK_ERROR message. */
export type TaskVerdict = { ok: true; resources: Resources } | { ok: false; message: string };

/** What a LAUNCH is validated against. */
export interface TaskContext {
  readonly frameworkId: FrameworkId;
  readonly agentId: string;
  /** Unused offered resources (with allocation roles). */
  readonly available: Resources;
  /** Task ids in use by this framework: active, unreachable, and launched earlier in this ACCEPT. */
  readonly taskIdInUse: (id: string) => boolean;
  /** True when this framework's executor already runs on the agent: its resources are not charged again. */
  readonly executorRunning?: (executorId: string) => boolean;
}

/** Step 3 for one TaskInfo of a LAUNCH (allocation roles already injected). */
export function validateTask(task: TaskInfoJson, ctx: TaskContext): TaskVerdict {
  const hasCommand = task.command !== undefined;
  const hasExecutor = task.executor !== undefined;
  if (hasCommand === hasExecutor) return { ok: false, message: 'Task should have at least one (but not both) of CommandInfo or ExecutorInfo present' };
  const basic = validateTaskBasics(task, ctx);
  if (basic !== undefined) return { ok: false, message: basic };
  if (task.executor !== undefined) {
    const efid = task.executor.framework_id?.value;
    if (efid !== undefined && efid !== ctx.frameworkId) {
      return { ok: false, message: `ExecutorInfo has an invalid FrameworkID (Actual: ${efid} vs Expected: ${ctx.frameworkId})` };
    }
    if (task.executor.type === 'DEFAULT') return { ok: false, message: "'ExecutorInfo.type' must be 'CUSTOM' for a LAUNCH operation" };
    if (task.executor.command === undefined) return { ok: false, message: "'ExecutorInfo.command' must be set for custom executors" };
  }
  let taskResources: Resources;
  let executorResources: Resources;
  try {
    taskResources = fromWire((task.resources ?? []) as WireResource[]);
    executorResources = ctx.executorRunning?.(task.executor?.executor_id.value ?? '') === true ? fromWire([]) : fromWire((task.executor?.resources ?? []) as WireResource[]);
  } catch (e: unknown) {
    return { ok: false, message: `Task uses invalid resources: ${errorMessage(e)}` };
  }
  if (taskResources.isEmpty()) return { ok: false, message: 'Task uses no resources' };
  const revocable = taskResources.entries.map((e) => !!e.revocable);
  if (revocable.includes(true) && revocable.includes(false)) {
    return { ok: false, message: 'Task has mixed revocable and non-revocable resources' };
  }
  const total = taskResources.plus(executorResources);
  if (!ctx.available.contains(total)) {
    return {
      ok: false,
      message: `Total resources ${total.toString()} required by task and its executor is more than available ${ctx.available.toString()}`,
    };
  }
  return { ok: true, resources: total };
}

/** Checks every TaskInfo needs (id, agent, uniqueness, kill policy, completion time); the error message or undefined. */
function validateTaskBasics(task: TaskInfoJson, ctx: TaskContext): string | undefined {
  if (task.task_id.value === '') return 'Task ID must not be empty';
  if (/[/\\]/.test(task.task_id.value) || task.task_id.value === '.' || task.task_id.value === '..') {
    return `'TaskID.value' '${task.task_id.value}' contains invalid characters`;
  }
  if (task.agent_id.value !== ctx.agentId) return `Task uses invalid agent: ${task.agent_id.value}`;
  if (ctx.taskIdInUse(task.task_id.value)) return `Task has duplicate ID: ${task.task_id.value}`;
  const grace = task.kill_policy?.grace_period?.nanoseconds;
  if (grace !== undefined && grace < 0) return "Task's kill policy must have non-negative grace period";
  const mct = task.max_completion_time?.nanoseconds;
  if (mct !== undefined && mct < 0) return "Task's max completion time must be non-negative";
  // The agent validates these too, but upstream refuses them here so the framework hears TASK_ERROR at once.
  const hc = task.health_check === undefined ? undefined : healthSpec(task.health_check);
  if (typeof hc === 'string') return `Task uses invalid health check: ${hc}`;
  const ck = task.check === undefined ? undefined : checkSpec(task.check);
  if (typeof ck === 'string') return `Task uses invalid check: ${ck}`;
  return undefined;
}

/** Per-task resources of a valid group (the first task also carries the new executor's), or the TASK_ERROR message. */
export type GroupVerdict = { ok: true; resources: Resources[] } | { ok: false; message: string };

function isDockerContainer(c: unknown): boolean {
  return typeof c === 'object' && c !== null && (c as { type?: unknown }).type === 'DOCKER';
}

function hasNetworkInfos(c: unknown): boolean {
  const n = typeof c === 'object' && c !== null ? (c as { network_infos?: unknown }).network_infos : undefined;
  return Array.isArray(n) && n.length > 0;
}

/**
 * Step 3 for a LAUNCH_GROUP (spec §2.5): the executor (type set, not UNKNOWN, no DOCKER container, our
 * framework, cpus ≥ 0.01, mem ≥ 32 MB and some disk: hard errors, unlike LAUNCH), then each task
 * (command required, executor unset or identical, unique ids, no DOCKER or network_infos), then the
 * group's resources plus the executor's (unless it already runs there) against the pool. One bad task
 * fails the whole group, as upstream.
 */
export function validateTaskGroup(executor: ExecutorInfoJson, tasks: readonly TaskInfoJson[], ctx: TaskContext): GroupVerdict {
  const bad = (message: string): GroupVerdict => ({ ok: false, message });
  if (executor.type === undefined) return bad("'ExecutorInfo.type' must be set");
  if (executor.type === 'UNKNOWN') return bad('Unknown executor type');
  if (executor.type === 'DEFAULT' && executor.command !== undefined) return bad("'ExecutorInfo.command' must not be set for 'DEFAULT' executor");
  if (executor.type === 'CUSTOM' && executor.command === undefined) return bad("'ExecutorInfo.command' must be set for 'CUSTOM' executor");
  if (isDockerContainer(executor.container)) return bad('Docker ContainerInfo is not supported on the executor');
  const efid = executor.framework_id?.value;
  if (efid !== undefined && efid !== ctx.frameworkId) return bad(`ExecutorInfo has an invalid FrameworkID (Actual: ${efid} vs Expected: ${ctx.frameworkId})`);
  if (tasks.length === 0) return bad('Task group cannot be empty');
  let executorResources: Resources;
  const perTask: Resources[] = [];
  try {
    executorResources = fromWire((executor.resources ?? []) as WireResource[]);
    for (const t of tasks) perTask.push(fromWire((t.resources ?? []) as WireResource[]));
  } catch (e: unknown) {
    return bad(`Task group uses invalid resources: ${errorMessage(e)}`);
  }
  const eid = executor.executor_id.value;
  if (executorResources.scalar('cpus') < MIN_EXECUTOR_CPUS) return bad(`Executor '${eid}' uses less cpus (${executorResources.scalar('cpus')}) than the minimum required (${MIN_EXECUTOR_CPUS})`);
  if (executorResources.scalar('mem') < MIN_EXECUTOR_MEM) return bad(`Executor '${eid}' uses less memory (${executorResources.scalar('mem')}MB) than the minimum required (${MIN_EXECUTOR_MEM}MB)`);
  if (executorResources.scalar('disk') <= 0) return bad(`Executor '${eid}' must have disk resources`);
  const seen = new Set<string>();
  const execText = JSON.stringify(executor);
  for (const [i, t] of tasks.entries()) {
    const tid = t.task_id.value;
    if (seen.has(tid)) return bad(`Duplicate task ID '${tid}' in task group`);
    seen.add(tid);
    const basic = validateTaskBasics(t, ctx);
    if (basic !== undefined) return bad(`Task '${tid}' is invalid: ${basic}`);
    if (t.executor !== undefined && JSON.stringify(t.executor) !== execText) {
      return bad(`The 'ExecutorInfo' of task '${tid}' is different from executor '${eid}'`);
    }
    if (executor.type === 'DEFAULT' && t.command === undefined) return bad(`Task '${tid}' must have 'CommandInfo' to run under the default executor`);
    if (isDockerContainer(t.container)) return bad(`Task '${tid}' is using Docker ContainerInfo, which is not supported for task groups`);
    if (hasNetworkInfos(t.container)) return bad(`Task '${tid}' is not allowed to have NetworkInfo`);
    if ((perTask[i] ?? fromWire([])).isEmpty()) return bad(`Task '${tid}' uses no resources`);
  }
  const running = ctx.executorRunning?.(eid) === true;
  const first = perTask[0];
  if (!running && first !== undefined) perTask[0] = first.plus(executorResources);
  const total = perTask.reduce((a, r) => a.plus(r), fromWire([]));
  if (!ctx.available.contains(total)) {
    return bad(`Total resources ${total.toString()} required by task group and its executor are more than available ${ctx.available.toString()}`);
  }
  return { ok: true, resources: perTask };
}

/** Upstream's minimum executor resources (master/constants.hpp), enforced for task groups. */
export const MIN_EXECUTOR_CPUS = 0.01;
export const MIN_EXECUTOR_MEM = 32;
