/**
 * Pure ACCEPT validation (spec §2.5): the offer list, then each TaskInfo of a LAUNCH against the pool of
 * offered resources still unused. Messages follow upstream's master/validation.cpp wording.
 */
import type { ResourceJson, TaskInfoJson } from '../api/mesos/common.js';
import type { FrameworkId, OfferId } from '../core/ids.js';
import { fromWire, type Resources, type WireResource } from '../core/resources.js';
import { errorMessage } from '../core/errors.js';
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
}

/** Step 3 for one TaskInfo of a LAUNCH (allocation roles already injected). */
export function validateTask(task: TaskInfoJson, ctx: TaskContext): TaskVerdict {
  const hasCommand = task.command !== undefined;
  const hasExecutor = task.executor !== undefined;
  if (hasCommand === hasExecutor) return { ok: false, message: 'Task should have at least one (but not both) of CommandInfo or ExecutorInfo present' };
  if (task.task_id.value === '') return { ok: false, message: 'Task ID must not be empty' };
  if (/[/\\]/.test(task.task_id.value) || task.task_id.value === '.' || task.task_id.value === '..') {
    return { ok: false, message: `'TaskID.value' '${task.task_id.value}' contains invalid characters` };
  }
  if (task.agent_id.value !== ctx.agentId) return { ok: false, message: `Task uses invalid agent: ${task.agent_id.value}` };
  if (ctx.taskIdInUse(task.task_id.value)) return { ok: false, message: `Task has duplicate ID: ${task.task_id.value}` };
  const grace = task.kill_policy?.grace_period?.nanoseconds;
  if (grace !== undefined && grace < 0) return { ok: false, message: "Task's kill policy must have non-negative grace period" };
  const mct = task.max_completion_time?.nanoseconds;
  if (mct !== undefined && mct < 0) return { ok: false, message: "Task's max completion time must be non-negative" };
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
    executorResources = fromWire((task.executor?.resources ?? []) as WireResource[]);
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
