/**
 * MARK_AGENT_GONE (spec §5.9, §6.8): the operator declares an agent permanently gone. The registry
 * records it gone first (so it stays gone across master restarts); then its tasks become
 * TASK_GONE_BY_OPERATOR for PARTITION_AWARE frameworks and TASK_LOST otherwise (reason
 * REASON_AGENT_REMOVED_BY_OPERATOR), its offers are rescinded, its resources leave the allocator, a
 * connected agent gets SHUTDOWN, and AGENT_REMOVED is published. A gone agent that subscribes again is
 * sent SHUTDOWN by the agent protocol (agent-handlers.ts). This is actor logic run on the Master.
 */
import type { AgentId } from '../../core/ids.js';
import { errorMessage } from '../../core/errors.js';
import type { CallResult, Master } from '../master.js';
import type { AgentRec } from '../types.js';
import { endAgentTasks } from '../agent-health.js';

const inFlight = new WeakMap<Master, Set<string>>();

/** Marks the agent gone: 200 (also when already gone), 404 unknown agent, 503 while in progress or if the registry fails. */
export async function markAgentGone(m: Master, agentId: string): Promise<CallResult> {
  const agent = m.agents.get(agentId as AgentId);
  if (agent?.state === 'gone') return { status: 200, body: '' };
  const busy = inFlight.get(m) ?? new Set<string>();
  inFlight.set(m, busy);
  if (busy.has(agentId)) return { status: 503, body: 'Agent is already being marked gone' };
  if (agent === undefined || agent.state === 'recovered') return { status: 404, body: `Agent '${agentId}' not found` };
  busy.add(agentId);
  try {
    await m.registry.putAgent({ id: agent.id, info: agent.info, registered_time: agent.registeredTime, state: 'gone' });
  } catch (e: unknown) {
    m.log.error({ agentId, err: errorMessage(e) }, 'registry write failed');
    return { status: 503, body: `Failed to mark agent gone: ${errorMessage(e)}` };
  } finally {
    busy.delete(agentId);
  }
  removeGoneAgent(m, agent);
  return { status: 200, body: '' };
}

function removeGoneAgent(m: Master, agent: AgentRec): void {
  const now = m.clock.now();
  const wasInAllocator = agent.state === 'registered' || agent.state === 'disconnected';
  agent.state = 'gone';
  agent.pingTimer?.cancel();
  agent.reregisterTimer?.cancel();
  const stream = agent.stream;
  agent.stream = undefined;
  agent.streamId = undefined;
  m.agentSubscriptions.delete(agent.id);
  if (stream !== undefined && stream.isOpen) {
    stream.send({ type: 'SHUTDOWN', shutdown: { message: 'Agent has been marked gone' } });
    stream.close();
  }
  if (wasInAllocator) {
    for (const o of [...m.offers.values()]) if (o.agentId === agent.id) m.rescindOffer(o.id, { notify: true, recover: false });
    m.allocator.apply({ type: 'agentRemoved', agentId: agent.id }, now);
  }
  m.counters.inc('master/slave_removals');
  m.counters.inc('master/slave_removals/reason_unhealthy');
  const how = { partitionAware: 'TASK_GONE_BY_OPERATOR', reason: 'REASON_AGENT_REMOVED_BY_OPERATOR', message: `Agent ${agent.id} marked gone by operator` } as const;
  const had = endAgentTasks(m, agent.id, how, now);
  for (const fw of m.frameworks.values()) {
    if (had.has(fw.id) || wasInAllocator) m.sendToFramework(fw, { type: 'FAILURE', failure: { agent_id: { value: agent.id } } });
  }
  m.operatorEvents.agentRemoved(agent.id);
  m.log.warn({ agentId: agent.id }, 'agent marked gone by operator');
}
