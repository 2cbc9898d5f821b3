/**
 * Asynchronous scheduler calls (202), part of the Master actor: ACCEPT (§2.5), DECLINE, REVIVE,
 * SUPPRESS, KILL, SHUTDOWN, ACKNOWLEDGE, RECONCILE (§6.7), MESSAGE, REQUEST and TEARDOWN (§2.6).
 */
import type { SchedulerCallJson, OfferOperationJson } from '../api/mesos/scheduler.js';
import { isTerminalState, type ExecutorInfoJson, type TaskInfoJson } from '../api/mesos/common.js';
import { asAgentId, asTaskId, type OfferId } from '../core/ids.js';
import { Resources, fromWire, type WireResource } from '../core/resources.js';
import { assertNever } from '../core/errors.js';
import { removeFramework } from './framework-lifecycle.js';
import { injectAllocationRole, validateOffers, validateTask, validateTaskGroup, type TaskContext } from './launch-validation.js';
import type { Master } from './master.js';
import { countFramework } from './metrics.js';
import { refuseMsOf } from './offers.js';
import { isConversionOp, OfferConversions, operationError } from './resource-conversions.js';
import { explicitAnswer, latestStateAnswer, type ReconcileView } from './reconciliation.js';
import { isPartitionAware, masterStatus } from './statuses.js';
import type { AgentRec, FrameworkRec, TaskRec } from './types.js';
import { answerInverseOffers, clearInverseFilters } from './maintenance-inverse.js';

/** Dispatches one call of a subscribed framework. */
export function dispatch(m: Master, fw: FrameworkRec, call: SchedulerCallJson): void {
  const type = call.type;
  switch (type) {
    case undefined:
    case 'UNKNOWN':
    case 'SUBSCRIBE':
    case 'UPDATE_FRAMEWORK':
      return;
    case 'TEARDOWN':
      void removeFramework(m, fw);
      return;
    case 'ACCEPT':
      accept(m, fw, call);
      return;
    case 'DECLINE':
      decline(m, fw, call);
      return;
    case 'REVIVE':
      reviveOrSuppress(m, fw, 'revive', call.revive?.roles ?? []);
      return;
    case 'SUPPRESS':
      reviveOrSuppress(m, fw, 'suppress', call.suppress?.roles ?? []);
      return;
    case 'KILL':
      kill(m, fw, call);
      return;
    case 'SHUTDOWN':
      shutdownExecutor(m, fw, call);
      return;
    case 'ACKNOWLEDGE':
      acknowledge(m, fw, call);
      return;
    case 'RECONCILE':
      reconcile(m, fw, call.reconcile?.tasks ?? []);
      return;
    case 'MESSAGE':
      message(m, fw, call);
      return;
    case 'REQUEST':
      m.counters.inc('master/messages_resource_request');
      return;
    case 'ACCEPT_INVERSE_OFFERS':
    case 'DECLINE_INVERSE_OFFERS': {
      const answer = type === 'ACCEPT_INVERSE_OFFERS' ? call.accept_inverse_offers : call.decline_inverse_offers;
      answerInverseOffers(m, fw, answer?.inverse_offer_ids ?? [], answer?.filters, type === 'ACCEPT_INVERSE_OFFERS');
      return;
    }
    case 'ACKNOWLEDGE_OPERATION_STATUS':
      return;
    case 'RECONCILE_OPERATIONS':
      m.counters.inc('master/messages_reconcile_operations');
      return;
    default:
      assertNever(type, 'call type');
  }
}

function launchTasksOf(ops: readonly OfferOperationJson[]): TaskInfoJson[] {
  return ops.flatMap((op) => {
    if (op.type === 'LAUNCH') return op.launch?.task_infos ?? [];
    if (op.type === 'LAUNCH_GROUP') return op.launch_group?.task_group.tasks ?? [];
    return [];
  });
}

/** ACCEPT, spec §2.5 steps 1–5. */
function accept(m: Master, fw: FrameworkRec, call: SchedulerCallJson): void {
  const acc = call.accept;
  if (acc === undefined) return;
  const now = m.clock.now();
  const ops = acc.operations ?? [];
  const ids = (acc.offer_ids ?? []).map((o) => o.value);
  m.counters.inc('master/messages_launch_tasks');
  const verdict = validateOffers(ids, (id) => m.offers.get(id), fw.id);
  if (!verdict.ok) {
    for (const id of ids) {
      const o = m.offers.get(id as OfferId);
      if (o !== undefined && o.frameworkId === fw.id) m.rescindOffer(o.id, { notify: false });
    }
    const pa = isPartitionAware(fw.info);
    for (const t of launchTasksOf(ops)) {
      m.sendUpdate(
        fw,
        masterStatus({
          taskId: t.task_id.value,
          state: pa ? 'TASK_DROPPED' : 'TASK_LOST',
          reason: 'REASON_INVALID_OFFERS',
          message: `Task launched with invalid offers: ${verdict.message}`,
          agentId: t.agent_id.value,
          nowMs: now,
        }),
      );
      m.counters.countTerminal(pa ? 'TASK_DROPPED' : 'TASK_LOST');
    }
    for (const op of ops) if (op.type !== 'LAUNCH' && op.type !== 'LAUNCH_GROUP') operationError(m, fw, op, undefined, `Operation launched with invalid offers: ${verdict.message}`);
    return;
  }
  const offers = verdict.offers;
  countFramework(fw, 'offers/accepted', offers.length);
  const first = offers[0];
  if (first === undefined) return;
  for (const o of offers) m.rescindOffer(o.id, { notify: false, recover: false });
  const agent = m.agents.get(first.agentId);
  const offered = offers.reduce((acc2, o) => acc2.plus(o.resources), Resources.EMPTY);
  let pool = offered;
  const conversions = new OfferConversions(m, fw, agent, first.role);
  const launchedHere = new Set<string>();
  const inUse = (id: string): boolean =>
    launchedHere.has(id) || fw.tasks.has(asTaskId(id)) || fw.unreachableTasks.has(asTaskId(id));
  // Executors already running (or started by this ACCEPT) on the agent: their resources are charged once.
  const executorRunning = (eid: string): boolean => m.executors.has(first.agentId, fw.id, eid);
  const ctx = { frameworkId: fw.id, agentId: first.agentId, taskIdInUse: inUse, executorRunning };
  for (const op of ops) {
    if (op.type === 'LAUNCH') {
      for (const raw of op.launch?.task_infos ?? []) {
        const task: TaskInfoJson = { ...raw, resources: injectAllocationRole(raw.resources, first.role) };
        if (task.executor !== undefined) task.executor = { ...task.executor, resources: injectAllocationRole(task.executor.resources, first.role) };
        const v = validateTask(task, { ...ctx, available: pool });
        if (!v.ok) {
          taskError(m, fw, task, 'REASON_TASK_INVALID', v.message);
          continue;
        }
        pool = pool.minus(v.resources);
        launchedHere.add(task.task_id.value);
        const taskOwn = task.executor === undefined ? v.resources : v.resources.minus(chargeExecutor(m, fw, first.agentId, task.executor));
        const rec = addTask(m, fw, task, taskOwn, first.role, now);
        if (agent !== undefined) rec.delivered = m.sendToAgent(agent, { type: 'RUN_TASK', run_task: { framework: fw.info, task } });
        m.operatorEvents.taskAdded(rec);
      }
    } else if (op.type === 'LAUNCH_GROUP') {
      const left = launchGroup(m, fw, op, { ...ctx, available: pool }, first.role, agent);
      if (left !== undefined && op.launch_group !== undefined) {
        pool = left;
        for (const t of op.launch_group.task_group.tasks ?? []) launchedHere.add(t.task_id.value);
      }
    } else if (isConversionOp(op.type)) {
      pool = conversions.apply(op, op.type, pool);
    } else {
      m.log.warn({ frameworkId: fw.id, operation: op.type }, 'offer operation not supported; dropped');
    }
  }
  conversions.commit(offered);
  if (!pool.isEmpty()) {
    m.allocator.apply({ type: 'resourcesRecovered', frameworkId: fw.id, agentId: first.agentId, resources: pool, refuseMs: refuseMsOf(acc.filters) }, now);
  }
}

function addTask(m: Master, fw: FrameworkRec, task: TaskInfoJson, resources: Resources, role: string, now: number): TaskRec {
  const rec: TaskRec = {
    id: asTaskId(task.task_id.value),
    frameworkId: fw.id,
    agentId: asAgentId(task.agent_id.value),
    info: task,
    resources,
    role,
    state: 'TASK_STAGING',
    statuses: [],
    delivered: false,
    released: false,
    firstTimestamp: now / 1000,
  };
  fw.tasks.set(rec.id, rec);
  return rec;
}

/**
 * LAUNCH_GROUP (spec §2.5): validates the whole group (one bad task fails all of them with TASK_ERROR,
 * REASON_TASK_GROUP_INVALID), then records every task (its `executor` set to the group's, so views show
 * the executor id) and hands the group to the agent in one RUN_TASK_GROUP. Returns the remaining pool
 * (undefined when the group was rejected).
 */
function launchGroup(m: Master, fw: FrameworkRec, op: OfferOperationJson, ctx: TaskContext, role: string, agent: AgentRec | undefined): Resources | undefined {
  const lg = op.launch_group;
  if (lg === undefined) return undefined;
  const executor: ExecutorInfoJson = { ...lg.executor, resources: injectAllocationRole(lg.executor.resources, role), framework_id: { value: fw.id } };
  const tasks: TaskInfoJson[] = (lg.task_group.tasks ?? []).map((raw) => ({ ...raw, resources: injectAllocationRole(raw.resources, role) }));
  const v = validateTaskGroup(executor, tasks, ctx);
  if (!v.ok) {
    for (const t of tasks) taskError(m, fw, t, 'REASON_TASK_GROUP_INVALID', v.message);
    return undefined;
  }
  const now = m.clock.now();
  let pool = ctx.available;
  // The first task's share includes a new executor's resources: those are charged to the executor instead.
  const fresh = ctx.executorRunning?.(executor.executor_id.value) !== true;
  const executorOwn = fresh ? chargeExecutor(m, fw, ctx.agentId, executor) : Resources.EMPTY;
  const recs = tasks.map((t, i) => {
    const r = v.resources[i] ?? Resources.EMPTY;
    pool = pool.minus(r);
    return addTask(m, fw, { ...t, executor }, i === 0 ? r.minus(executorOwn) : r, role, now);
  });
  const delivered =
    agent !== undefined &&
    m.sendToAgent(agent, { type: 'RUN_TASK_GROUP', run_task_group: { framework: fw.info, executor, task_group: { tasks: tasks.map(({ executor: _e, ...t }) => t) } } });
  for (const rec of recs) {
    rec.delivered = delivered;
    m.operatorEvents.taskAdded(rec);
  }
  return pool;
}

/** Starts charging a new executor's own resources on the agent (spec §3.4); returns them. */
function chargeExecutor(m: Master, fw: FrameworkRec, agentId: string, executor: ExecutorInfoJson): Resources {
  if (m.executors.has(agentId, fw.id, executor.executor_id.value)) return Resources.EMPTY;
  const own = fromWire((executor.resources ?? []) as WireResource[]);
  m.addExecutor({ agentId: asAgentId(agentId), frameworkId: fw.id, info: executor, resources: own });
  return own;
}

function taskError(m: Master, fw: FrameworkRec, task: TaskInfoJson, reason: 'REASON_TASK_INVALID' | 'REASON_TASK_GROUP_INVALID', message: string): void {
  m.sendUpdate(
    fw,
    masterStatus({ taskId: task.task_id.value, state: 'TASK_ERROR', reason, message, agentId: task.agent_id.value, nowMs: m.clock.now() }),
  );
  m.counters.countTerminal('TASK_ERROR');
}

function decline(m: Master, fw: FrameworkRec, call: SchedulerCallJson): void {
  const d = call.decline;
  if (d === undefined) return;
  m.counters.inc('master/messages_decline_offers');
  const refuseMs = refuseMsOf(d.filters);
  for (const { value } of d.offer_ids ?? []) {
    const o = m.offers.get(value as OfferId);
    if (o === undefined || o.frameworkId !== fw.id) continue;
    countFramework(fw, 'offers/declined');
    m.rescindOffer(o.id, { notify: false, refuseMs });
  }
}

function reviveOrSuppress(m: Master, fw: FrameworkRec, kind: 'revive' | 'suppress', roles: readonly string[]): void {
  m.counters.inc(kind === 'revive' ? 'master/messages_revive_offers' : 'master/messages_suppress_offers');
  const target = roles.length === 0 ? fw.roles : [...roles];
  if (target.some((r) => !fw.roles.includes(r))) {
    m.log.warn({ frameworkId: fw.id, roles }, `${kind} with roles the framework is not subscribed to; dropped`);
    return;
  }
  for (const r of target) {
    if (kind === 'revive') fw.suppressed.delete(r);
    else fw.suppressed.add(r);
  }
  m.allocator.apply({ type: kind, frameworkId: fw.id, roles: target }, m.clock.now());
  if (kind === 'revive') {
    clearInverseFilters(m, fw.id);
    m.triggerAllocation();
  }
}

function kill(m: Master, fw: FrameworkRec, call: SchedulerCallJson): void {
  const k = call.kill;
  if (k === undefined) return;
  m.counters.inc('master/messages_kill_task');
  const task = fw.tasks.get(asTaskId(k.task_id.value));
  if (task === undefined || isTerminalState(task.state)) {
    reconcile(m, fw, [{ task_id: k.task_id, ...(k.agent_id !== undefined ? { agent_id: k.agent_id } : {}) }]);
    return;
  }
  if (k.agent_id !== undefined && k.agent_id.value !== task.agentId) return;
  if (!task.delivered) {
    const status = masterStatus({
      taskId: task.id,
      state: 'TASK_KILLED',
      reason: 'REASON_TASK_KILLED_DURING_LAUNCH',
      message: 'Killed before delivery to the agent',
      agentId: task.agentId,
      nowMs: m.clock.now(),
    });
    task.state = 'TASK_KILLED';
    task.latestStatus = status;
    task.statuses = [...task.statuses, { state: 'TASK_KILLED', timestamp: m.clock.now() / 1000 }];
    m.counters.countTerminal('TASK_KILLED');
    m.completeTask(fw, task);
    m.sendUpdate(fw, status);
    return;
  }
  const agent = m.agents.get(task.agentId);
  const policy = k.kill_policy !== undefined ? { kill_policy: k.kill_policy } : {};
  const sent =
    agent !== undefined &&
    agent.state === 'registered' &&
    m.sendToAgent(agent, { type: 'KILL_TASK', kill_task: { framework_id: { value: fw.id }, task_id: { value: task.id }, ...policy } });
  // Re-sent when the agent re-registers (spec §2.6).
  task.pendingKill = sent ? undefined : policy;
}

function shutdownExecutor(m: Master, fw: FrameworkRec, call: SchedulerCallJson): void {
  const s = call.shutdown;
  if (s === undefined) return;
  const agent = m.agents.get(asAgentId(s.agent_id.value));
  if (agent === undefined) return;
  m.sendToAgent(agent, { type: 'SHUTDOWN_EXECUTOR', shutdown_executor: { framework_id: { value: fw.id }, executor_id: s.executor_id } });
}

function sameUuid(a: string, b: string): boolean {
  return Buffer.from(a, 'base64').equals(Buffer.from(b, 'base64'));
}

/** Forwards the ack; a terminal acked update that is the task's latest retires the task (spec §2.6). */
function acknowledge(m: Master, fw: FrameworkRec, call: SchedulerCallJson): void {
  const a = call.acknowledge;
  if (a === undefined) return;
  m.counters.inc('master/messages_status_update_acknowledgement');
  const agent = m.agents.get(asAgentId(a.agent_id.value));
  const task = fw.tasks.get(asTaskId(a.task_id.value)) ?? fw.unreachableTasks.get(asTaskId(a.task_id.value));
  if (agent === undefined || agent.state !== 'registered') {
    m.counters.inc('master/invalid_status_update_acknowledgements');
    return;
  }
  m.counters.inc('master/valid_status_update_acknowledgements');
  m.sendToAgent(agent, { type: 'ACKNOWLEDGE', acknowledge: { framework_id: { value: fw.id }, task_id: a.task_id, uuid: a.uuid } });
  if (
    task !== undefined &&
    task.statusUpdateUuid !== undefined &&
    task.statusUpdateState !== undefined &&
    isTerminalState(task.statusUpdateState) &&
    sameUuid(task.statusUpdateUuid, a.uuid)
  ) {
    m.completeTask(fw, task);
  }
}

/** RECONCILE (spec §6.7): implicit when the list is empty, else one answer per entry. */
export function reconcile(m: Master, fw: FrameworkRec, entries: readonly { task_id: { value: string }; agent_id?: { value: string } }[]): void {
  m.counters.inc('master/messages_reconcile_tasks');
  const now = m.clock.now();
  if (entries.length === 0) {
    for (const t of fw.tasks.values()) m.sendUpdate(fw, latestStateAnswer(t, now));
    return;
  }
  const view: ReconcileView = {
    nowMs: now,
    partitionAware: isPartitionAware(fw.info),
    findTask: (id) => fw.tasks.get(asTaskId(id)),
    agentState: (id) => m.agents.get(asAgentId(id))?.state,
    unreachableTime: (id) => m.agents.get(asAgentId(id))?.unreachableTime,
    anyRecoveredAgents: () => [...m.agents.values()].some((a) => a.state === 'recovered'),
  };
  for (const e of entries) {
    const unreachable = fw.unreachableTasks.get(asTaskId(e.task_id.value));
    const agentId = e.agent_id?.value ?? unreachable?.agentId;
    const answer = explicitAnswer(e.task_id.value, agentId, view);
    if (answer !== undefined) m.sendUpdate(fw, answer);
  }
}

function message(m: Master, fw: FrameworkRec, call: SchedulerCallJson): void {
  const msg = call.message;
  if (msg === undefined) return;
  m.counters.inc('master/messages_framework_to_executor');
  const agent = m.agents.get(asAgentId(msg.agent_id.value));
  if (agent === undefined || agent.state !== 'registered') {
    m.counters.inc('master/invalid_framework_to_executor_messages');
    return;
  }
  m.counters.inc('master/valid_framework_to_executor_messages');
  m.sendToAgent(agent, {
    type: 'FRAMEWORK_MESSAGE',
    framework_message: { framework_id: { value: fw.id }, executor_id: msg.executor_id, data: msg.data },
  });
}
