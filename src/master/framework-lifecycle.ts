/**
 * Framework life cycle, part of the Master actor (spec §1.7, §2.4, §6.9): subscribe and failover,
 * disconnection with the failover timer, removal, and UPDATE_FRAMEWORK.
 */
import type { ServerResponse } from 'node:http';
import type { FrameworkInfoJson } from '../api/mesos/common.js';
import type { SchedulerCallJson } from '../api/mesos/scheduler.js';
import { isTerminalState } from '../api/mesos/common.js';
import { asFrameworkId, newUuid, type AgentId, type FrameworkId } from '../core/ids.js';
import { errorMessage } from '../core/errors.js';
import { Resources } from '../core/resources.js';
import type { Timer } from '../core/clock.js';
import { EventStream } from '../transport/event-stream.js';
import { frameworkRoles, validateFrameworkInfo, validateSuppressed } from './framework-validation.js';
import type { CallResult, Master } from './master.js';
import { masterStatus } from './statuses.js';
import { countFramework } from './metrics.js';
import type { FrameworkRec } from './types.js';

/** Creates an empty framework record. */
export function newFramework(m: Master, id: FrameworkId, info: FrameworkInfoJson, roles: string[], recovered: boolean): FrameworkRec {
  return {
    id,
    info: { ...info, id: { value: id } },
    roles,
    suppressed: new Set(),
    connected: false,
    active: false,
    recovered,
    registeredTime: m.clock.now(),
    unregisteredTime: 0,
    tasks: new Map(),
    unreachableTasks: new Map(),
    completedTasks: [],
    offers: new Set(),
    metrics: new Map(),
  };
}

function refuse(stream: EventStream, message: string): void {
  stream.send({ type: 'ERROR', error: { message } });
  stream.close();
}

/** SUBSCRIBE (the HTTP checks are done): opens the 200 stream, then validates and (re)registers. */
export function subscribe(m: Master, call: SchedulerCallJson, res: ServerResponse): void {
  const sub = call.subscribe;
  if (sub === undefined) return;
  const info = sub.framework_info;
  const streamId = newUuid();
  const bound: { fid?: FrameworkId; heartbeat?: Timer } = {};
  // Heartbeats start only after SUBSCRIBED, which waits for the registry write (spec §1.7 ordering).
  const stream = new EventStream(res, {
    clock: m.clock,
    headers: { 'Mesos-Stream-Id': streamId },
    onClose: () => {
      bound.heartbeat?.cancel();
      if (bound.fid !== undefined) disconnected(m, bound.fid, streamId);
    },
  });
  const invalid = validateFrameworkInfo(info, m.config.rootSubmissions);
  if (invalid !== undefined) return refuse(stream, invalid);
  const roles = frameworkRoles(info, m.config.roles);
  if (!roles.ok) return refuse(stream, roles.message);
  const suppressed = sub.suppressed_roles ?? [];
  const badSuppressed = validateSuppressed(suppressed, roles.roles);
  if (badSuppressed !== undefined) return refuse(stream, badSuppressed);
  const requested = info.id?.value;
  if (requested !== undefined && m.removedFrameworkIds.has(requested)) return refuse(stream, 'Framework has been removed');

  let fw = requested === undefined ? undefined : m.frameworks.get(asFrameworkId(requested));
  const now = m.clock.now();
  if (fw !== undefined) {
    const oldPrincipal = fw.info.principal;
    if (!fw.recovered && oldPrincipal !== undefined && info.principal !== undefined && info.principal !== oldPrincipal) {
      return refuse(stream, "Changing framework's principal is not allowed.");
    }
    m.counters.inc('master/messages_reregister_framework');
    const old = fw.stream;
    fw.stream = undefined;
    fw.streamId = undefined;
    if (old !== undefined && old.isOpen) refuse(old, 'Framework failed over');
    // Offers are discarded without RESCIND on failover (spec §6.3).
    for (const oid of [...fw.offers]) m.rescindOffer(oid, { notify: false });
    fw.failoverTimer?.cancel();
    fw.failoverTimer = undefined;
    const keep = { user: fw.recovered ? info.user : fw.info.user, checkpoint: fw.recovered ? info.checkpoint : fw.info.checkpoint };
    fw.info = { ...info, id: { value: fw.id }, user: keep.user };
    if (keep.checkpoint !== undefined) fw.info.checkpoint = keep.checkpoint;
    else delete fw.info.checkpoint;
    fw.roles = roles.roles;
    fw.reregisteredTime = now;
    const updated = fw.info;
    for (const agent of m.agents.values()) {
      if (agent.state === 'registered') m.sendToAgent(agent, { type: 'UPDATE_FRAMEWORK', update_framework: { framework: updated } });
    }
  } else {
    m.counters.inc(requested === undefined ? 'master/messages_register_framework' : 'master/messages_reregister_framework');
    const id = requested === undefined ? m.ids.framework() : asFrameworkId(requested);
    fw = newFramework(m, id, info, roles.roles, false);
    if (requested !== undefined) fw.reregisteredTime = now;
    m.frameworks.set(id, fw);
    m.knownFrameworks.delete(id);
    m.allocator.apply(
      { type: 'frameworkAdded', frameworkId: id, roles: fw.roles, suppressedRoles: [], capabilities: m.capabilitiesOf(fw.info), active: false, used: usedByAgent(m, fw) },
      now,
    );
  }
  const rec = fw;
  bound.fid = rec.id;
  rec.stream = stream;
  rec.streamId = streamId;
  rec.connected = true;
  rec.recovered = false;
  rec.suppressed = new Set(suppressed);
  const wasActive = rec.active;
  rec.active = false;
  if (wasActive) m.allocator.apply({ type: 'frameworkDeactivated', frameworkId: rec.id }, now);
  m.allocator.apply({ type: 'frameworkUpdated', frameworkId: rec.id, roles: rec.roles, suppressedRoles: suppressed, capabilities: m.capabilitiesOf(rec.info) }, now);
  m.registry.putFramework({ info: rec.info, removed: false }).then(
    () => {
      if (rec.streamId !== streamId || !stream.isOpen) return;
      stream.send({
        type: 'SUBSCRIBED',
        subscribed: { framework_id: { value: rec.id }, heartbeat_interval_seconds: m.config.heartbeatIntervalMs / 1000, master_info: m.masterInfo },
      });
      stream.send({ type: 'HEARTBEAT' });
      bound.heartbeat = m.clock.every(m.config.heartbeatIntervalMs, () => {
        if (stream.send({ type: 'HEARTBEAT' })) countFramework(rec, 'events/heartbeat');
      });
      countFramework(rec, 'events', 2);
      countFramework(rec, 'events/subscribed');
      countFramework(rec, 'events/heartbeat');
      rec.active = true;
      m.operatorEvents.framework(rec);
      m.allocator.apply({ type: 'frameworkActivated', frameworkId: rec.id }, m.clock.now());
      m.triggerAllocation();
    },
    (e: unknown) => {
      m.log.error({ frameworkId: rec.id, err: errorMessage(e) }, 'registry write failed');
      if (rec.streamId === streamId) refuse(stream, `Failed to persist the framework: ${errorMessage(e)}`);
    },
  );
}

/** Resources in use by the framework's live tasks, per agent. */
export function usedByAgent(m: Master, fw: FrameworkRec): Map<AgentId, Resources> {
  const used = new Map<AgentId, Resources>();
  for (const t of fw.tasks.values()) {
    const r = m.usedResources(t);
    if (r === undefined) continue;
    const prev = used.get(t.agentId);
    used.set(t.agentId, prev === undefined ? r : prev.plus(r));
  }
  for (const e of m.executors.ofFramework(fw.id)) used.set(e.agentId, (used.get(e.agentId) ?? Resources.EMPTY).plus(e.resources));
  return used;
}

/** The subscription stream closed: deactivate, drop offers, start the failover timer (spec §6.9). */
export function disconnected(m: Master, fid: FrameworkId, streamId: string): void {
  const fw = m.frameworks.get(fid);
  if (fw === undefined || fw.streamId !== streamId || m.isStopped) return;
  fw.stream = undefined;
  fw.streamId = undefined;
  fw.connected = false;
  fw.active = false;
  m.counters.inc('master/messages_deactivate_framework');
  for (const oid of [...fw.offers]) m.rescindOffer(oid, { notify: false });
  m.allocator.apply({ type: 'frameworkDeactivated', frameworkId: fid }, m.clock.now());
  const timeoutMs = Math.max(0, (fw.info.failover_timeout ?? 0) * 1000);
  m.log.info({ frameworkId: fid, timeoutMs }, 'framework disconnected');
  if (timeoutMs === 0) {
    void removeFramework(m, fw);
    return;
  }
  armFailoverTimer(m, fw, m.clock.now() + timeoutMs);
}

/** Timers cannot exceed ~24.8 days, so long failover timeouts re-arm until the deadline. */
function armFailoverTimer(m: Master, fw: FrameworkRec, deadline: number): void {
  const MAX_TIMER_MS = 2 ** 31 - 1;
  const left = deadline - m.clock.now();
  fw.failoverTimer = m.clock.after(Math.min(left, MAX_TIMER_MS), () => {
    const cur = m.frameworks.get(fw.id);
    if (cur === undefined || cur.connected) return;
    if (m.clock.now() < deadline) armFailoverTimer(m, cur, deadline);
    else void removeFramework(m, cur);
  });
}


/** Removes a framework: kills its tasks on agents, keeps it in completed_frameworks (spec §6.9). */
/**
 * Removes a framework at once (tasks killed, offers rescinded, agents told) and records the removal in the
 * registry; resolves true once that record is durable (false if the write failed, logged).
 */
export function removeFramework(m: Master, fw: FrameworkRec): Promise<boolean> {
  const now = m.clock.now();
  fw.failoverTimer?.cancel();
  fw.failoverTimer = undefined;
  for (const oid of [...fw.offers]) m.rescindOffer(oid, { notify: false, recover: false });
  const agentsWithTasks = new Set<AgentId>();
  for (const t of [...fw.tasks.values(), ...fw.unreachableTasks.values()]) {
    agentsWithTasks.add(t.agentId);
    if (!isTerminalState(t.state)) {
      const status = masterStatus({ taskId: t.id, state: 'TASK_KILLED', reason: 'REASON_FRAMEWORK_REMOVED', message: 'Framework removed', agentId: t.agentId, nowMs: now });
      t.state = 'TASK_KILLED';
      t.statuses = [...t.statuses, { state: 'TASK_KILLED', timestamp: now / 1000 }];
      t.latestStatus = status;
      m.counters.countStatus('TASK_KILLED', 'SOURCE_MASTER', 'REASON_FRAMEWORK_REMOVED');
      m.counters.countTerminal('TASK_KILLED');
      m.operatorEvents.taskStatus(fw, status);
    }
    t.released = true;
    fw.tasks.delete(t.id);
    fw.unreachableTasks.delete(t.id);
    fw.completedTasks.push(t);
  }
  const max = m.config.maxCompletedTasksPerFramework;
  if (fw.completedTasks.length > max) fw.completedTasks.splice(0, fw.completedTasks.length - max);
  for (const agent of m.agents.values()) {
    if (agentsWithTasks.has(agent.id) || agent.state === 'registered') {
      m.sendToAgent(agent, { type: 'SHUTDOWN_FRAMEWORK', shutdown_framework: { framework_id: { value: fw.id } } });
    }
  }
  m.allocator.apply({ type: 'frameworkRemoved', frameworkId: fw.id }, now);
  m.executors.dropFramework(fw.id);
  const stream = fw.stream;
  fw.stream = undefined;
  fw.streamId = undefined;
  fw.connected = false;
  fw.active = false;
  fw.unregisteredTime = now;
  stream?.close();
  m.counters.inc('master/messages_unregister_framework');
  m.frameworks.delete(fw.id);
  m.removedFrameworkIds.add(fw.id);
  m.completedFrameworks.push(fw);
  m.operatorEvents.frameworkRemoved(fw);
  if (m.completedFrameworks.length > m.config.maxCompletedFrameworks) m.completedFrameworks.shift();
  m.log.info({ frameworkId: fw.id }, 'framework removed');
  return m.registry.putFramework({ info: fw.info, removed: true }).then(
    () => true,
    (e: unknown) => {
      m.log.error({ frameworkId: fw.id, err: errorMessage(e) }, 'registry write failed');
      return false;
    },
  );
}

/** UPDATE_FRAMEWORK (spec §2.4): same validation as SUBSCRIBE; user/principal/checkpoint are immutable. */
export async function updateFramework(m: Master, fw: FrameworkRec, call: SchedulerCallJson): Promise<CallResult> {
  const upd = call.update_framework;
  if (upd === undefined) return { status: 400, body: "Expecting 'update_framework' to be present" };
  const info = upd.framework_info;
  const invalid = validateFrameworkInfo(info, m.config.rootSubmissions);
  if (invalid !== undefined) return { status: 400, body: invalid };
  const roles = frameworkRoles(info, m.config.roles);
  if (!roles.ok) return { status: 400, body: roles.message };
  const suppressed = upd.suppressed_roles ?? [];
  const badSuppressed = validateSuppressed(suppressed, roles.roles);
  if (badSuppressed !== undefined) return { status: 400, body: badSuppressed };
  if (info.user !== fw.info.user) return { status: 400, body: "Updating 'FrameworkInfo.user' is unsupported" };
  if ((info.principal ?? '') !== (fw.info.principal ?? '')) return { status: 400, body: "Updating 'FrameworkInfo.principal' is unsupported" };
  if ((info.checkpoint ?? false) !== (fw.info.checkpoint ?? false)) return { status: 400, body: "Updating 'FrameworkInfo.checkpoint' is unsupported" };
  const now = m.clock.now();
  const removedRoles = fw.roles.filter((r) => !roles.roles.includes(r));
  for (const oid of [...fw.offers]) {
    const o = m.offers.get(oid);
    if (o !== undefined && removedRoles.includes(o.role)) m.rescindOffer(oid, { notify: true });
  }
  const unsuppressed = [...fw.suppressed].filter((r) => !suppressed.includes(r) && roles.roles.includes(r));
  fw.info = { ...info, id: { value: fw.id } };
  fw.roles = roles.roles;
  fw.suppressed = new Set(suppressed);
  m.allocator.apply({ type: 'frameworkUpdated', frameworkId: fw.id, roles: fw.roles, suppressedRoles: suppressed, capabilities: m.capabilitiesOf(fw.info) }, now);
  if (unsuppressed.length > 0) m.allocator.apply({ type: 'revive', frameworkId: fw.id, roles: unsuppressed }, now);
  for (const agent of m.agents.values()) {
    if (agent.state === 'registered') m.sendToAgent(agent, { type: 'UPDATE_FRAMEWORK', update_framework: { framework: fw.info } });
  }
  try {
    await m.registry.putFramework({ info: fw.info, removed: false });
  } catch (e: unknown) {
    return { status: 503, body: `Failed to persist the framework: ${errorMessage(e)}` };
  }
  m.operatorEvents.framework(fw);
  m.triggerAllocation();
  return { status: 200, body: '' };
}
