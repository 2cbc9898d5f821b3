/**
 * Agent draining and deactivation (upstream 1.9+ DRAIN_AGENT, DEACTIVATE_AGENT, REACTIVATE_AGENT; spec
 * §5.9). Runs on the Master actor; each change is durable in the registry before it is applied.
 *
 * - DEACTIVATE_AGENT: the agent gets no offers (its outstanding offers are rescinded); tasks keep running.
 * - DRAIN_AGENT: deactivates, then kills every task on the agent, each kill's grace period capped by
 *   `max_grace_period`; a kill that cannot reach a disconnected agent is re-sent when it re-registers.
 *   The agent is DRAINED once none of its tasks is left (terminal and acknowledged); with `mark_gone` it is
 *   then marked gone (MARK_AGENT_GONE).
 * - REACTIVATE_AGENT: offers resume; drain info is dropped.
 */
import { isTerminalState, type KillPolicyJson, type TaskStatusJson } from '../api/mesos/common.js';
import { isPartitionAware } from './statuses.js';
import type { AgentId } from '../core/ids.js';
import { errorMessage } from '../core/errors.js';
import type { CallResult, Master } from './master.js';
import type { DrainRec } from './maintenance.js';
import { drainInfoJson, maintenanceOf } from './maintenance.js';
import { markAgentGone } from './http/operator-v1-gone.js';
import { sendInverseOffers } from './maintenance-inverse.js';
import type { AgentRec, FrameworkRec } from './types.js';

const OK: CallResult = { status: 200, body: '' };

/** The agent, or the 400 for an id the master does not know (or knows as gone). */
function known(m: Master, agentId: string): AgentRec | CallResult {
  const agent = m.agents.get(agentId as AgentId);
  if (agent === undefined || agent.state === 'gone') return { status: 400, body: `Unknown agent '${agentId}'` };
  return agent;
}

function inAllocator(agent: AgentRec): boolean {
  return agent.state === 'registered' || agent.state === 'disconnected';
}

/** Stops offers for the agent: rescinds its outstanding offers and deactivates it in the allocator. */
function stopOffers(m: Master, agent: AgentRec): void {
  for (const o of [...m.offers.values()]) if (o.agentId === agent.id) m.rescindOffer(o.id, { notify: true });
  if (inAllocator(agent)) m.allocator.apply({ type: 'agentDeactivated', agentId: agent.id }, m.clock.now());
}

/** DEACTIVATE_AGENT: 200 once durable, 400 for an unknown agent. */
export async function deactivateAgent(m: Master, agentId: string): Promise<CallResult> {
  const agent = known(m, agentId);
  if (!('id' in agent)) return agent;
  const s = maintenanceOf(m);
  const drain = s.drains.get(agent.id);
  await m.registry.putAgentDrain({ agent_id: agent.id, ...(drain !== undefined ? { drain_info: drainInfoJson(drain) } : {}) });
  s.deactivated.add(agent.id);
  stopOffers(m, agent);
  return OK;
}

/** REACTIVATE_AGENT: 200 once durable, 400 for an unknown or not deactivated agent. */
export async function reactivateAgent(m: Master, agentId: string): Promise<CallResult> {
  const agent = known(m, agentId);
  if (!('id' in agent)) return agent;
  const s = maintenanceOf(m);
  if (!s.deactivated.has(agent.id)) return { status: 400, body: `Agent '${agentId}' is not deactivated` };
  await m.registry.removeAgentDrain(agent.id);
  s.deactivated.delete(agent.id);
  s.drains.delete(agent.id);
  if (agent.state === 'registered') m.allocator.apply({ type: 'agentActivated', agentId: agent.id }, m.clock.now());
  m.triggerAllocation();
  return OK;
}

/** DRAIN_AGENT: 200 once durable, 400 for an unknown agent or a negative grace period. */
export async function drainAgent(m: Master, agentId: string, maxGracePeriodNs: number | undefined, markGone: boolean): Promise<CallResult> {
  const agent = known(m, agentId);
  if (!('id' in agent)) return agent;
  if (maxGracePeriodNs !== undefined && maxGracePeriodNs < 0) return { status: 400, body: "Invalid 'max_grace_period': it must be non-negative" };
  const rec: DrainRec = { state: 'DRAINING', markGone, ...(maxGracePeriodNs !== undefined ? { maxGracePeriodNs } : {}) };
  await m.registry.putAgentDrain({ agent_id: agent.id, drain_info: drainInfoJson(rec) });
  const s = maintenanceOf(m);
  s.deactivated.add(agent.id);
  s.drains.set(agent.id, rec);
  stopOffers(m, agent);
  killTasks(m, agent, rec);
  m.log.info({ agentId: agent.id, maxGracePeriodNs, markGone }, 'draining agent');
  checkDrained(m);
  return OK;
}

/** The task's kill policy with its grace period capped by the drain's `max_grace_period`. */
function cappedPolicy(policy: KillPolicyJson | undefined, maxNs: number | undefined): KillPolicyJson | undefined {
  if (maxNs === undefined) return policy;
  const own = policy?.grace_period?.nanoseconds;
  return { ...policy, grace_period: { nanoseconds: own === undefined ? maxNs : Math.min(own, maxNs) } };
}

/** Kills every live task on a draining agent (now, or when it re-registers if it is not connected). */
function killTasks(m: Master, agent: AgentRec, rec: DrainRec): void {
  for (const fw of m.frameworks.values()) {
    for (const t of fw.tasks.values()) {
      if (t.agentId !== agent.id || isTerminalState(t.state)) continue;
      const policy = cappedPolicy(t.info.kill_policy, rec.maxGracePeriodNs);
      const kill = policy !== undefined ? { kill_policy: policy } : {};
      const sent = m.sendToAgent(agent, { type: 'KILL_TASK', kill_task: { framework_id: { value: fw.id }, task_id: { value: t.id }, ...kill } });
      if (!sent) t.pendingKill = kill;
    }
  }
}

/** After an agent (re-)registered: keep it deactivated, and re-kill what a draining agent still runs. */
export function onAgentAdmitted(m: Master, agent: AgentRec): void {
  const s = maintenanceOf(m);
  if (!s.deactivated.has(agent.id)) return;
  m.allocator.apply({ type: 'agentDeactivated', agentId: agent.id }, m.clock.now());
  const drain = s.drains.get(agent.id);
  if (drain?.state === 'DRAINING') killTasks(m, agent, drain);
}

/** DRAINING agents with no task left become DRAINED (durably), then gone when `mark_gone` (each cycle). */
export function checkDrained(m: Master): void {
  const s = maintenanceOf(m);
  if (s.drains.size === 0) return;
  const busy = new Set<AgentId>();
  for (const fw of m.frameworks.values()) {
    for (const t of fw.tasks.values()) busy.add(t.agentId);
    for (const t of fw.unreachableTasks.values()) busy.add(t.agentId);
  }
  for (const [agentId, rec] of s.drains) {
    if (rec.state !== 'DRAINING' || busy.has(agentId)) continue;
    // Only a registered agent has told us what it runs (a recovered or unreachable one may still have tasks).
    const agent = m.agents.get(agentId);
    if (agent?.state !== 'registered') continue;
    rec.state = 'DRAINED';
    m.log.info({ agentId }, 'agent drained');
    m.registry
      .putAgentDrain({ agent_id: agentId, drain_info: drainInfoJson(rec) })
      .then(() => (rec.markGone ? markAgentGone(m, agentId) : undefined))
      .catch((e: unknown) => m.log.error({ agentId, err: errorMessage(e) }, 'registry write failed'));
  }
}

/** Maintenance work of each allocation cycle: inverse offers due, and drained agents. */
export function maintenanceTick(m: Master): void {
  sendInverseOffers(m);
  checkDrained(m);
}

/**
 * A status update from a draining agent as upstream reports it: TASK_KILLING / TASK_KILLED get
 * REASON_AGENT_DRAINING, and with `mark_gone` a kill of a PARTITION_AWARE framework's task becomes
 * TASK_GONE_BY_OPERATOR. Other updates, and every update of other agents, pass unchanged.
 */
export function drainedStatus(
  m: Master,
  agentId: AgentId,
  fw: FrameworkRec | undefined,
  status: TaskStatusJson,
  latestState: TaskStatusJson['state'],
): { status: TaskStatusJson; latestState: TaskStatusJson['state'] } {
  const drain = maintenanceOf(m).drains.get(agentId);
  if (drain === undefined || (status.state !== 'TASK_KILLING' && status.state !== 'TASK_KILLED')) return { status, latestState };
  const gone = drain.markGone && status.state === 'TASK_KILLED' && fw !== undefined && isPartitionAware(fw.info);
  return {
    status: { ...status, reason: 'REASON_AGENT_DRAINING', ...(gone ? { state: 'TASK_GONE_BY_OPERATOR' as const } : {}) },
    latestState: gone && latestState === 'TASK_KILLED' ? 'TASK_GONE_BY_OPERATOR' : latestState,
  };
}
