/**
 * The agent side of the Master actor (common brief, spec §6.8): admission and re-admission, re-learning
 * reported tasks, status updates, ping health, disconnection and unreachable marking, and registry
 * recovery after a master restart.
 */
import type { ServerResponse } from 'node:http';
import type { AgentCallJson, AgentTaskReportJson } from '../api/agora/agent-protocol.js';
import { AGENT_STREAM_HEADER } from '../api/agora/agent-protocol.js';
import { isTerminalState, type FrameworkInfoJson, type ResourceJson, type TaskStatusJson } from '../api/mesos/common.js';
import { asAgentId, asFrameworkId, asTaskId, newUuid, type AgentId, type FrameworkId } from '../core/ids.js';
import { Resources, fromWire, type WireResource } from '../core/resources.js';
import { errorMessage } from '../core/errors.js';
import { MESOS_VERSION } from '../core/version.js';
import { EventStream } from '../transport/event-stream.js';
import { newFramework } from './framework-lifecycle.js';
import type { CallResult, Master } from './master.js';
import type { RegistryAgent } from './registry.js';
import { injectAllocationRole } from './launch-validation.js';
import { totalOnRegistration } from './resource-conversions.js';
import { isPartitionAware, masterStatus, recordStatus } from './statuses.js';
import type { AgentRec, FrameworkRec, TaskRec } from './types.js';
import { agentUnreachable, agentDisconnected, agentRemoved, cancelScheduledUnreachable, scheduleUnreachable, startHealth } from './agent-health.js';
import { machineIsDown } from './maintenance.js';
import { drainedStatus, onAgentAdmitted } from './maintenance-drain.js';

/** After a restart: registry agents are `recovered` until they re-register, or unreachable after the timeout. */
export function recoverAgents(m: Master, agents: readonly RegistryAgent[]): void {
  for (const ra of agents) {
    const id = asAgentId(ra.id);
    const rec: AgentRec = {
      id,
      info: ra.info,
      total: safeResources(ra.checkpointed_resources ?? ra.info.resources),
      ip: ra.info.hostname,
      port: ra.info.port ?? 5051,
      state: ra.state === 'admitted' ? 'recovered' : ra.state,
      registeredTime: ra.registered_time,
      capabilities: [],
      version: MESOS_VERSION,
      missedPings: 0,
      pongSincePing: true,
      ...(ra.unreachable_time !== undefined ? { unreachableTime: ra.unreachable_time } : {}),
    };
    m.agents.set(id, rec);
    if (rec.state === 'recovered') {
      rec.reregisterTimer = m.clock.after(m.config.agentReregisterTimeoutMs, () => {
        if (rec.state !== 'recovered') return;
        // Subject to --agent_removal_rate_limit; re-registering before its turn cancels the marking.
        scheduleUnreachable(m, rec, () => m.agents.get(rec.id) === rec && rec.state === 'recovered', () => {
          m.counters.inc('master/recovery_slave_removals');
          agentUnreachable(m, rec);
        });
      });
    }
  }
}

function safeResources(list: readonly unknown[] | undefined): Resources {
  try {
    return fromWire((list ?? []) as WireResource[]);
  } catch {
    return Resources.EMPTY;
  }
}

function isIpv4(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s);
}

/**
 * SUBSCRIBE from an agent: admit (or re-admit) it durably first, then answer 200 with the stream id
 * and REGISTERED, so the agent never holds a stream id the master does not know yet.
 */
export function subscribe(m: Master, call: AgentCallJson, res: ServerResponse, remoteIp: string): void {
  const sub = call.subscribe;
  if (sub === undefined) return;
  const streamId = newUuid();
  const requested = call.agent_id?.value;
  const existing = requested === undefined ? undefined : m.agents.get(asAgentId(requested));
  const id = requested === undefined ? m.ids.agent() : asAgentId(requested);
  const openStream = (): EventStream =>
    new EventStream(res, {
      clock: m.clock,
      headers: { [AGENT_STREAM_HEADER]: streamId },
      onClose: () => agentDisconnected(m, id, streamId),
    });
  if (existing?.state === 'gone') {
    const stream = openStream();
    stream.send({ type: 'SHUTDOWN', shutdown: { message: 'Agent has been marked gone' } });
    stream.close();
    return;
  }
  const info = { ...sub.agent_info, id: { value: id } };
  const { total, resend } = totalOnRegistration(existing, safeResources(sub.checkpointed_resources ?? sub.agent_info.resources), safeResources(sub.agent_info.resources));
  const ip = isIpv4(sub.agent_info.hostname) ? sub.agent_info.hostname : remoteIp;
  if (machineIsDown(m, sub.agent_info.hostname, ip)) {
    // As upstream: an agent on a DOWN machine may not register until `/machine/up`.
    const stream = openStream();
    stream.send({ type: 'SHUTDOWN', shutdown: { message: 'Machine is `DOWN`' } });
    stream.close();
    return;
  }
  m.counters.inc(existing === undefined ? 'master/messages_register_slave' : 'master/messages_reregister_slave');
  const registeredTime = existing?.registeredTime ?? m.clock.now();
  m.agentSubscriptions.set(id, streamId);
  const checkpointed = total.toWire('post', false) as ResourceJson[];
  m.registry.putAgent({ id, info, registered_time: registeredTime, state: 'admitted', checkpointed_resources: checkpointed }).then(
    () => {
      if (m.isStopped || res.destroyed || res.socket === null || res.socket.destroyed) {
        res.destroy();
        return;
      }
      if (m.agentSubscriptions.get(id) !== streamId) {
        // A newer SUBSCRIBE from the same agent won.
        res.writeHead(409, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Superseded by a newer subscription');
        return;
      }
      const stream = openStream();
      admit(m, { id, info, total, ip, port: sub.agent_info.port ?? 5051, stream, streamId, registeredTime, now: m.clock.now(), sub });
      if (resend) stream.send({ type: 'CHECKPOINT_RESOURCES', checkpoint_resources: { resources: checkpointed } });
    },
    (e: unknown) => {
      m.log.error({ agentId: id, err: errorMessage(e) }, 'registry write failed');
      if (!res.headersSent) res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`Registry write failed: ${errorMessage(e)}`);
    },
  );
}

/**
 * A new agent id at the address of a known agent means that agent is gone for good (its host rebooted, or
 * its work dir was wiped): as upstream, the old one is removed at once and its tasks end (TASK_GONE for
 * partition-aware frameworks, else TASK_LOST), instead of waiting for it to time out as unreachable.
 */
function removeReplacedAgent(m: Master, a: Admission): void {
  for (const old of m.agents.atAddress(a.ip, a.port)) {
    if (old.id === a.id || old.state === 'gone') continue;
    m.log.warn({ agentId: old.id, newAgentId: a.id, address: `${a.ip}:${a.port}` }, 'a new agent registered at the address of a known one: removing the old agent');
    agentRemoved(m, old, { counter: 'reason_registered', message: `Agent ${old.id} was replaced by agent ${a.id} at ${a.ip}:${a.port} (restarted with a new id, e.g. after a reboot)` });
    m.operatorEvents.agentRemoved(old.id);
  }
}

interface Admission {
  readonly id: AgentId;
  readonly info: AgentRec['info'];
  readonly total: Resources;
  readonly ip: string;
  readonly port: number;
  readonly stream: EventStream;
  readonly streamId: string;
  readonly registeredTime: number;
  readonly now: number;
  readonly sub: NonNullable<AgentCallJson['subscribe']>;
}

function admit(m: Master, a: Admission): void {
  const prev = m.agents.get(a.id);
  if (prev === undefined) removeReplacedAgent(m, a);
  const prevState = prev?.state;
  // The old stream (if any) is replaced: its close must not disconnect the agent.
  const oldStream = prev?.stream;
  if (prev !== undefined) {
    prev.stream = undefined;
    prev.streamId = a.streamId;
  }
  oldStream?.close();
  if (prevState === 'registered' || prevState === 'disconnected') {
    for (const o of [...m.offers.values()]) if (o.agentId === a.id) m.rescindOffer(o.id, { notify: true, recover: false });
    m.allocator.apply({ type: 'agentRemoved', agentId: a.id }, a.now);
  }
  prev?.pingTimer?.cancel();
  prev?.reregisterTimer?.cancel();
  cancelScheduledUnreachable(prev);
  const agent: AgentRec = {
    id: a.id,
    info: a.info,
    total: a.total,
    ip: a.ip,
    port: a.port,
    state: 'registered',
    stream: a.stream,
    streamId: a.streamId,
    registeredTime: a.registeredTime,
    capabilities: a.sub.capabilities ?? [],
    version: a.sub.agent_version ?? MESOS_VERSION,
    missedPings: 0,
    pongSincePing: true,
  };
  if (prev !== undefined) agent.reregisteredTime = a.now;
  m.agents.set(a.id, agent);
  if (prevState !== 'registered' && prevState !== 'disconnected') m.operatorEvents.agentAdded(agent);
  m.counters.inc(prev === undefined ? 'master/slave_registrations' : 'master/slave_reregistrations');
  const relearned = relearnTasks(m, agent, a.sub, prevState === 'unreachable', prevState === 'recovered');
  relearnExecutors(m, agent, a.sub);
  const used = new Map<FrameworkId, Resources>();
  for (const t of relearned) {
    const r = m.usedResources(t);
    if (r === undefined) continue;
    used.set(t.frameworkId, (used.get(t.frameworkId) ?? Resources.EMPTY).plus(r));
  }
  for (const e of m.executors.onAgent(agent.id)) used.set(e.frameworkId, (used.get(e.frameworkId) ?? Resources.EMPTY).plus(e.resources));
  m.allocator.apply({ type: 'agentAdded', agentId: a.id, hostname: a.info.hostname, total: a.total, used }, a.now);
  onAgentAdmitted(m, agent);
  a.stream.send({
    type: 'REGISTERED',
    registered: { agent_id: { value: a.id }, master_info: m.masterInfo, ping_interval_seconds: m.config.agentPingTimeoutMs / 1000 },
  });
  for (const t of relearned) {
    if (t.pendingKill === undefined || isTerminalState(t.state)) continue;
    m.sendToAgent(agent, { type: 'KILL_TASK', kill_task: { framework_id: { value: t.frameworkId }, task_id: { value: t.id }, ...t.pendingKill } });
    t.pendingKill = undefined;
  }
  startHealth(m, agent);
  m.log.info({ agentId: a.id, reregistered: prev !== undefined }, 'agent registered');
  m.triggerAllocation(a.id);
}

/** Frameworks the agent reports but the master does not know become `recovered` frameworks. */
function frameworkFor(m: Master, fid: FrameworkId, reported: readonly FrameworkInfoJson[]): FrameworkRec | undefined {
  const known = m.frameworks.get(fid);
  if (known !== undefined) return known;
  if (m.removedFrameworkIds.has(fid)) return undefined;
  const info = reported.find((f) => f.id?.value === fid) ?? m.knownFrameworks.get(fid) ?? { user: '', name: '' };
  const roles = (info.roles ?? []).length > 0 ? [...(info.roles ?? [])] : [info.role ?? '*'];
  const fw = newFramework(m, fid, info, roles, true);
  m.frameworks.set(fid, fw);
  m.knownFrameworks.delete(fid);
  m.allocator.apply(
    { type: 'frameworkAdded', frameworkId: fid, roles, suppressedRoles: [], capabilities: m.capabilitiesOf(fw.info), active: false, used: new Map() },
    m.clock.now(),
  );
  m.operatorEvents.framework(fw);
  return fw;
}

/**
 * The executors the agent reports are the ones charged on it from now on (an executor that ended while
 * the agent was away is forgotten; one of an unknown framework is shut down with its framework).
 */
function relearnExecutors(m: Master, agent: AgentRec, sub: NonNullable<AgentCallJson['subscribe']>): void {
  m.executors.dropAgent(agent.id);
  for (const { framework_id, executor } of sub.executors ?? []) {
    const fw = m.frameworks.get(asFrameworkId(framework_id.value));
    if (fw === undefined) continue;
    const role = executor.resources?.find((x) => x.allocation_info?.role !== undefined)?.allocation_info?.role ?? fw.roles[0] ?? '*';
    m.addExecutor({ agentId: agent.id, frameworkId: fw.id, info: executor, resources: safeResources(injectAllocationRole(executor.resources, role)) });
  }
}

/**
 * `firstSinceRecovery`: the agent's first SUBSCRIBE to this master instance (it was only known from the
 * registry). No task can be on it that it did not report — recovered agents get no offers and this master
 * learned tasks only from agents — so the scan of every task for unreported ones is skipped: it made 10k
 * re-registrations after a failover O(agents × tasks) (ADR 0041).
 */
function relearnTasks(m: Master, agent: AgentRec, sub: NonNullable<AgentCallJson['subscribe']>, wasUnreachable: boolean, firstSinceRecovery = false): TaskRec[] {
  const now = m.clock.now();
  const reported = new Set<string>();
  const out: TaskRec[] = [];
  for (const r of sub.tasks ?? []) {
    const fid = asFrameworkId(r.framework_id.value);
    const fw = frameworkFor(m, fid, sub.frameworks ?? []);
    if (fw === undefined) {
      m.sendToAgent(agent, { type: 'SHUTDOWN_FRAMEWORK', shutdown_framework: { framework_id: { value: fid } } });
      continue;
    }
    reported.add(`${fid}/${r.task.task_id.value}`);
    const task = upsertTask(m, fw, agent, r, now);
    out.push(task);
    if (wasUnreachable) {
      m.sendUpdate(
        fw,
        masterStatus({
          taskId: task.id,
          state: task.state,
          reason: 'REASON_AGENT_REREGISTERED',
          message: 'Agent reregistered',
          agentId: agent.id,
          nowMs: now,
        }),
      );
    }
  }
  // Tasks the master placed on this agent that the agent does not know: gone (e.g. lost in flight).
  if (firstSinceRecovery) return out;
  for (const fw of m.frameworks.values()) {
    for (const t of [...fw.tasks.values(), ...fw.unreachableTasks.values()]) {
      if (t.agentId !== agent.id || reported.has(`${fw.id}/${t.id}`) || isTerminalState(t.state)) continue;
      const pa = isPartitionAware(fw.info);
      const status = masterStatus({
        taskId: t.id,
        state: pa ? 'TASK_DROPPED' : 'TASK_LOST',
        reason: 'REASON_RECONCILIATION',
        message: 'Reconciliation: task unknown to the agent',
        agentId: agent.id,
        nowMs: now,
      });
      recordStatus(t, status, status.state, now);
      m.counters.countTerminal(status.state);
      m.completeTask(fw, t);
      m.sendUpdate(fw, status);
    }
  }
  return out;
}

function upsertTask(m: Master, fw: FrameworkRec, agent: AgentRec, r: AgentTaskReportJson, now: number): TaskRec {
  const tid = asTaskId(r.task.task_id.value);
  const existing = fw.tasks.get(tid) ?? fw.unreachableTasks.get(tid);
  const role = r.task.resources?.find((x) => x.allocation_info?.role !== undefined)?.allocation_info?.role ?? fw.roles[0] ?? '*';
  const info = { ...r.task, resources: injectAllocationRole(r.task.resources, role) };
  const task: TaskRec = existing ?? {
    id: tid,
    frameworkId: fw.id,
    agentId: agent.id,
    info,
    // An executor's own resources are charged to its ExecutorRec (relearnExecutors), not to its tasks.
    resources: safeResources(info.resources),
    role,
    state: r.state,
    statuses: [],
    delivered: true,
    released: false,
    firstTimestamp: (r.latest_status?.timestamp ?? now / 1000),
  };
  task.delivered = true;
  task.released = false;
  task.state = r.state;
  if (r.latest_status !== undefined) recordStatus(task, { ...r.latest_status, agent_id: { value: agent.id } }, r.state, now);
  if (r.unacked_state !== undefined) task.statusUpdateState = r.unacked_state;
  if (r.unacked_uuid !== undefined) task.statusUpdateUuid = r.unacked_uuid;
  if (isTerminalState(task.state)) task.released = true;
  fw.unreachableTasks.delete(tid);
  fw.tasks.set(tid, task);
  m.operatorEvents.taskAdded(task);
  return task;
}

/** Every non-SUBSCRIBE agent call: 403 JSON when the stream id does not match, else 202. */
export function handleCall(m: Master, call: AgentCallJson, streamId: string | undefined): CallResult {
  const id = call.agent_id?.value;
  const agent = id === undefined ? undefined : m.agents.get(asAgentId(id));
  if (agent === undefined || agent.streamId === undefined || streamId === undefined || agent.streamId !== streamId || agent.state !== 'registered') {
    return { status: 403, body: JSON.stringify({ code: 'AGENT_NOT_SUBSCRIBED', message: 'Agent is not subscribed on this stream' }) };
  }
  switch (call.type) {
    case 'SUBSCRIBE':
      return { status: 400, body: 'SUBSCRIBE must be sent without a stream id' };
    case 'PONG':
      agent.missedPings = 0;
      agent.pongSincePing = true;
      cancelScheduledUnreachable(agent);
      return { status: 202, body: '' };
    case 'STATUS_UPDATE': {
      const batch = [...(call.status_updates ?? []), ...(call.status_update !== undefined ? [call.status_update] : [])];
      if (batch.length === 0) return { status: 400, body: "Expecting 'status_update' or 'status_updates' to be present" };
      for (const su of batch) statusUpdate(m, agent, su.framework_id.value, su.status, su.latest_state ?? su.status.state);
      return { status: 202, body: '' };
    }
    case 'EXITED_EXECUTOR': {
      const ex = call.exited_executor;
      if (ex === undefined) return { status: 400, body: "Expecting 'exited_executor' to be present" };
      m.counters.inc('master/messages_exited_executor');
      m.releaseExecutor(agent.id, asFrameworkId(ex.framework_id.value), ex.executor_id.value);
      const fw = m.frameworks.get(asFrameworkId(ex.framework_id.value));
      if (fw !== undefined) {
        m.sendToFramework(fw, {
          type: 'FAILURE',
          failure: { agent_id: { value: agent.id }, executor_id: ex.executor_id, ...(ex.status !== undefined ? { status: ex.status } : {}) },
        });
      }
      return { status: 202, body: '' };
    }
    case 'EXECUTOR_MESSAGE': {
      const em = call.executor_message;
      if (em === undefined) return { status: 400, body: "Expecting 'executor_message' to be present" };
      m.counters.inc('master/messages_executor_to_framework');
      const fw = m.frameworks.get(asFrameworkId(em.framework_id.value));
      if (fw === undefined || !fw.connected) {
        m.counters.inc('master/invalid_executor_to_framework_messages');
      } else {
        m.counters.inc('master/valid_executor_to_framework_messages');
        m.sendToFramework(fw, { type: 'MESSAGE', message: { agent_id: { value: agent.id }, executor_id: em.executor_id, data: em.data } });
      }
      return { status: 202, body: '' };
    }
    case 'UNREGISTER':
      m.counters.inc('master/messages_unregister_slave');
      agentRemoved(m, agent);
      m.operatorEvents.agentRemoved(agent.id);
      return { status: 202, body: '' };
  }
}

/** Tracks the agent's latest state and forwards the update (uuid kept) to the framework (spec §6.6). */
export function statusUpdate(m: Master, agent: AgentRec, fid: string, received: TaskStatusJson, receivedLatest: TaskStatusJson['state']): void {
  m.counters.inc('master/messages_status_update');
  const fw = m.frameworks.get(asFrameworkId(fid));
  // While the agent drains, kills carry REASON_AGENT_DRAINING (and become TASK_GONE_BY_OPERATOR with mark_gone).
  const { status: raw, latestState } = drainedStatus(m, agent.id, fw, received, receivedLatest);
  const tid = asTaskId(raw.task_id.value);
  const status: TaskStatusJson = { ...raw, agent_id: { value: agent.id }, executor_id: raw.executor_id ?? { value: tid } };
  if (status.timestamp === undefined) status.timestamp = m.clock.now() / 1000;
  if (fw === undefined) {
    m.counters.inc('master/invalid_status_updates');
    return;
  }
  m.counters.inc('master/valid_status_updates');
  let task = fw.tasks.get(tid);
  const unreachable = fw.unreachableTasks.get(tid);
  if (task === undefined && unreachable !== undefined) {
    task = unreachable;
    fw.unreachableTasks.delete(tid);
    fw.tasks.set(tid, task);
  }
  if (task !== undefined) {
    const wasTerminal = isTerminalState(task.state);
    recordStatus(task, status, latestState, m.clock.now());
    task.statusUpdateState = status.state;
    if (status.uuid !== undefined) task.statusUpdateUuid = status.uuid;
    else delete task.statusUpdateUuid;
    if (!wasTerminal && isTerminalState(latestState)) {
      m.counters.countTerminal(latestState);
      m.releaseTask(task);
    }
  }
  m.sendUpdate(fw, status);
  if (task !== undefined && status.uuid === undefined && isTerminalState(status.state)) m.completeTask(fw, task);
}
