/**
 * Agent health and removal, part of the Master actor (spec §6.8): pings with a missed-pong counter,
 * disconnection (non-checkpointing frameworks' tasks are lost at once), unreachable marking and graceful
 * unregistration.
 */
import { isTerminalState, type ResourceJson } from '../api/mesos/common.js';
import type { AgentId, FrameworkId } from '../core/ids.js';
import { errorMessage } from '../core/errors.js';
import type { Master } from './master.js';
import { isPartitionAware, masterStatus, recordStatus } from './statuses.js';
import type { AgentRec } from './types.js';

/** Starts the ping timer: a PING not answered by the next tick is a miss; too many ⇒ unreachable. */
export function startHealth(m: Master, agent: AgentRec): void {
  agent.pingTimer?.cancel();
  agent.missedPings = 0;
  agent.pongSincePing = true;
  agent.pingTimer = m.clock.every(m.config.agentPingTimeoutMs, () => {
    if (agent.state !== 'registered' && agent.state !== 'disconnected') {
      agent.pingTimer?.cancel();
      return;
    }
    if (!agent.pongSincePing) {
      agent.missedPings++;
      if (agent.missedPings >= m.config.maxAgentPingTimeouts && !isUnreachableScheduled(agent)) {
        m.log.warn({ agentId: agent.id, missed: agent.missedPings }, 'agent missed too many pings');
        // Subject to --agent_removal_rate_limit; a PONG or a re-registration before its turn cancels it.
        scheduleUnreachable(m, agent, () => m.agents.get(agent.id) === agent && (agent.state === 'registered' || agent.state === 'disconnected'), () => {
          m.counters.inc('master/slave_removals/reason_unhealthy');
          agentUnreachable(m, agent);
        });
        // Marked at once (no limit, or a free permit): done. Queued: keep pinging, a PONG cancels the marking.
        if (!isUnreachableScheduled(agent)) return;
      }
    }
    agent.pongSincePing = false;
    m.sendToAgent(agent, { type: 'PING' });
  });
}

function rescindAgentOffers(m: Master, agentId: AgentId, recover: boolean): void {
  for (const o of [...m.offers.values()]) if (o.agentId === agentId) m.rescindOffer(o.id, { notify: true, recover });
}

/** The agent's stream closed: deactivate; tasks of non-checkpointing frameworks are lost now. */
export function agentDisconnected(m: Master, agentId: AgentId, streamId: string): void {
  const agent = m.agents.get(agentId);
  if (agent === undefined || agent.streamId !== streamId || agent.state !== 'registered' || m.isStopped) return;
  agent.state = 'disconnected';
  agent.stream = undefined;
  agent.streamId = undefined;
  const now = m.clock.now();
  rescindAgentOffers(m, agentId, true);
  m.allocator.apply({ type: 'agentDeactivated', agentId }, now);
  for (const fw of m.frameworks.values()) {
    if (fw.info.checkpoint === true) continue;
    for (const t of [...fw.tasks.values()]) {
      if (t.agentId !== agentId || isTerminalState(t.state)) continue;
      const status = masterStatus({
        taskId: t.id,
        state: 'TASK_LOST',
        reason: 'REASON_AGENT_DISCONNECTED',
        message: 'Agent disconnected',
        agentId,
        nowMs: now,
      });
      recordStatus(t, status, 'TASK_LOST', now);
      m.counters.countTerminal('TASK_LOST');
      m.completeTask(fw, t);
      m.sendUpdate(fw, status);
    }
  }
  m.log.info({ agentId }, 'agent disconnected');
}

/** Whether a marking of this agent as unreachable is queued behind the removal rate limit. */
export function isUnreachableScheduled(agent: AgentRec): boolean {
  return agent.unreachableTicket !== undefined;
}

/**
 * Schedules marking the agent unreachable (`master/slave_unreachable_scheduled`): at once without
 * `--agent_removal_rate_limit`, else when the master's limiter grants a permit. `due()` is checked at that
 * moment (false ⇒ `master/slave_unreachable_canceled`); `mark` does the marking (`..._completed`).
 */
export function scheduleUnreachable(m: Master, agent: AgentRec, due: () => boolean, mark: () => void): void {
  if (agent.unreachableTicket !== undefined) return;
  m.counters.inc('master/slave_unreachable_scheduled');
  // run/canceled may be called synchronously by acquire; only a still-queued request is remembered.
  let settled = false;
  const req = {
    due: () => !m.isStopped && due(),
    run: () => {
      settled = true;
      agent.unreachableTicket = undefined;
      m.counters.inc('master/slave_unreachable_completed');
      mark();
    },
    canceled: () => {
      settled = true;
      agent.unreachableTicket = undefined;
      m.counters.inc('master/slave_unreachable_canceled');
      m.log.info({ agentId: agent.id }, 'agent came back before its unreachable marking: canceled');
    },
  };
  if (m.removalLimiter === undefined) {
    req.run();
    return;
  }
  const ticket = m.removalLimiter.acquire(req);
  if (!settled) agent.unreachableTicket = ticket;
}

/** The agent is back (re-registered, or answered a ping): its queued unreachable marking is canceled. */
export function cancelScheduledUnreachable(agent: AgentRec | undefined): void {
  agent?.unreachableTicket?.cancel();
}

/** Marks the agent unreachable: tasks to unreachable_tasks, FAILURE to every framework (spec §6.8). */
export function agentUnreachable(m: Master, agent: AgentRec): void {
  if (agent.state === 'unreachable' || agent.state === 'gone') return;
  const now = m.clock.now();
  const wasInAllocator = agent.state === 'registered' || agent.state === 'disconnected';
  agent.state = 'unreachable';
  agent.unreachableTime = now;
  agent.pingTimer?.cancel();
  agent.reregisterTimer?.cancel();
  const stream = agent.stream;
  agent.stream = undefined;
  agent.streamId = undefined;
  stream?.close();
  m.counters.inc('master/slave_removals');
  if (wasInAllocator) {
    rescindAgentOffers(m, agent.id, false);
    m.allocator.apply({ type: 'agentRemoved', agentId: agent.id }, now);
  }
  for (const fw of m.frameworks.values()) {
    const pa = isPartitionAware(fw.info);
    for (const t of [...fw.tasks.values()]) {
      if (t.agentId !== agent.id) continue;
      t.released = true;
      if (isTerminalState(t.state)) {
        m.completeTask(fw, t);
        continue;
      }
      const status = masterStatus({
        taskId: t.id,
        state: pa ? 'TASK_UNREACHABLE' : 'TASK_LOST',
        reason: 'REASON_AGENT_REMOVED',
        message: `Agent ${agent.id} is unreachable`,
        agentId: agent.id,
        nowMs: now,
        ...(pa ? { unreachableTimeMs: now } : {}),
      });
      recordStatus(t, status, status.state, now);
      if (!pa) m.counters.countTerminal('TASK_LOST');
      fw.tasks.delete(t.id);
      fw.unreachableTasks.set(t.id, t);
      m.sendUpdate(fw, status);
    }
    m.sendToFramework(fw, { type: 'FAILURE', failure: { agent_id: { value: agent.id } } });
  }
  m.log.warn({ agentId: agent.id }, 'agent marked unreachable');
  m.operatorEvents.agentRemoved(agent.id);
  m.registry
    .putAgent({ id: agent.id, info: agent.info, registered_time: agent.registeredTime, state: 'unreachable', unreachable_time: now, checkpointed_resources: agent.total.toWire('post', false) as ResourceJson[] })
    .catch((e: unknown) => m.log.error({ agentId: agent.id, err: errorMessage(e) }, 'registry write failed'));
}

/**
 * The agent leaves for good — graceful UNREGISTER by default, or `why` (e.g. a new agent registered at its
 * address after a reboot); its tasks are gone (lost for non-partition-aware frameworks).
 */
export function agentRemoved(m: Master, agent: AgentRec, why?: { readonly counter: string; readonly message: string }): void {
  const now = m.clock.now();
  agent.pingTimer?.cancel();
  agent.reregisterTimer?.cancel();
  agent.state = 'gone';
  const stream = agent.stream;
  agent.stream = undefined;
  agent.streamId = undefined;
  stream?.close();
  rescindAgentOffers(m, agent.id, false);
  m.allocator.apply({ type: 'agentRemoved', agentId: agent.id }, now);
  m.counters.inc('master/slave_removals');
  m.counters.inc(`master/slave_removals/${why?.counter ?? 'reason_unregistered'}`);
  endAgentTasks(m, agent.id, { partitionAware: 'TASK_GONE', reason: 'REASON_AGENT_REMOVED', message: why?.message ?? `Agent ${agent.id} unregistered` }, now);
  for (const fw of m.frameworks.values()) m.sendToFramework(fw, { type: 'FAILURE', failure: { agent_id: { value: agent.id } } });
  m.agents.delete(agent.id);
  m.agentSubscriptions.delete(agent.id);
  m.registry.removeAgent(agent.id).catch((e: unknown) => m.log.error({ agentId: agent.id, err: errorMessage(e) }, 'registry write failed'));
}

/** How an agent's tasks end when it leaves for good: PARTITION_AWARE frameworks get `partitionAware`, others TASK_LOST. */
export interface AgentTasksEnd {
  readonly partitionAware: 'TASK_GONE' | 'TASK_GONE_BY_OPERATOR';
  readonly reason: 'REASON_AGENT_REMOVED' | 'REASON_AGENT_REMOVED_BY_OPERATOR';
  readonly message: string;
}

/**
 * Ends every task of a departed agent (master-generated updates, no uuid), releases their resources and
 * moves them to completed. Returns the frameworks that had tasks there.
 */
export function endAgentTasks(m: Master, agentId: AgentId, how: AgentTasksEnd, now: number): Set<FrameworkId> {
  const touched = new Set<FrameworkId>();
  // The agent left the allocator already; its executors' charges go with it.
  m.executors.dropAgent(agentId);
  for (const fw of m.frameworks.values()) {
    const pa = isPartitionAware(fw.info);
    for (const t of [...fw.tasks.values(), ...fw.unreachableTasks.values()]) {
      if (t.agentId !== agentId) continue;
      touched.add(fw.id);
      t.released = true;
      if (!isTerminalState(t.state)) {
        const status = masterStatus({ taskId: t.id, state: pa ? how.partitionAware : 'TASK_LOST', reason: how.reason, message: how.message, agentId, nowMs: now });
        recordStatus(t, status, status.state, now);
        m.counters.countTerminal(status.state);
        m.sendUpdate(fw, status);
      }
      m.completeTask(fw, t);
    }
  }
  return touched;
}
