/**
 * Inverse offers (upstream maintenance primitives): once per allocation cycle, every framework that holds
 * resources (tasks or offers) on an agent of a DRAINING machine gets one INVERSE_OFFERS event per
 * agent asking it to vacate by the window's start (resources empty = everything on the agent). The
 * framework answers with ACCEPT_INVERSE_OFFERS or DECLINE_INVERSE_OFFERS; the answer is recorded per
 * machine (`/maintenance/status`) and, like a refuse filter, silences further inverse offers for that
 * agent for `filters.refuse_seconds` (default 5 s). An inverse offer is outstanding until answered, rescinded
 * (window changed, machine down) or discarded (the framework re-subscribed: a new one is sent).
 * Runs on the Master actor.
 */
import type { FiltersJson } from '../api/mesos/common.js';
import { isTerminalState } from '../api/mesos/common.js';
import type { AgentId, FrameworkId, OfferId } from '../core/ids.js';
import type { Master } from './master.js';
import type { InverseOfferRec } from './maintenance.js';
import { machineKey, machineOf, maintenanceOf } from './maintenance.js';
import { refuseMsOf } from './offers.js';
import type { AgentRec, FrameworkRec } from './types.js';

function filterKey(fid: FrameworkId, agentId: AgentId): string {
  return `${fid}\u0000${agentId}`;
}

/** Still outstanding: the framework is connected on the same stream and the agent is registered. */
function live(m: Master, io: InverseOfferRec): boolean {
  const fw = m.frameworks.get(io.frameworkId);
  const agent = m.agents.get(io.agentId);
  return fw !== undefined && fw.connected && fw.streamId === io.streamId && agent?.state === 'registered';
}

/** Sends the inverse offers due this cycle (see the module comment). */
export function sendInverseOffers(m: Master): void {
  const s = maintenanceOf(m);
  if (s.machines.size === 0) return;
  for (const io of [...s.inverseOffers.values()]) if (!live(m, io)) s.inverseOffers.delete(io.id);
  const draining: AgentRec[] = [];
  for (const agent of m.agents.values()) {
    if (agent.state === 'registered' && machineOf(m, agent)?.mode === 'DRAINING') draining.push(agent);
  }
  if (draining.length === 0) return;
  const holders = new Map<AgentId, Set<FrameworkId>>();
  const hold = (agentId: AgentId, fid: FrameworkId): void => {
    let set = holders.get(agentId);
    if (set === undefined) holders.set(agentId, (set = new Set()));
    set.add(fid);
  };
  const ids = new Set(draining.map((a) => a.id));
  for (const fw of m.frameworks.values()) {
    for (const t of fw.tasks.values()) if (ids.has(t.agentId) && !isTerminalState(t.state)) hold(t.agentId, fw.id);
  }
  for (const o of m.offers.values()) if (ids.has(o.agentId)) hold(o.agentId, o.frameworkId);
  const outstanding = new Set([...s.inverseOffers.values()].map((io) => filterKey(io.frameworkId, io.agentId)));
  const now = m.clock.now();
  const byFramework = new Map<FrameworkRec, unknown[]>();
  for (const agent of draining) {
    const machine = machineOf(m, agent);
    if (machine === undefined) continue;
    for (const fid of [...(holders.get(agent.id) ?? [])].sort()) {
      const fw = m.frameworks.get(fid);
      if (fw === undefined || !fw.connected || !fw.active) continue;
      const key = filterKey(fid, agent.id);
      if (outstanding.has(key) || (s.inverseFilters.get(key) ?? 0) > now) continue;
      const io: InverseOfferRec = { id: m.ids.offer(), frameworkId: fid, agentId: agent.id, machineKey: machineKey(machine.id), streamId: fw.streamId };
      s.inverseOffers.set(io.id, io);
      if (!machine.statuses.has(fid)) machine.statuses.set(fid, { status: 'UNKNOWN', timestamp: now });
      const list = byFramework.get(fw) ?? [];
      list.push({
        id: { value: io.id },
        framework_id: { value: fid },
        agent_id: { value: agent.id },
        url: { scheme: 'http', address: { hostname: agent.info.hostname, ip: agent.ip, port: agent.port }, path: '/slave(1)' },
        unavailability: machine.unavailability,
        resources: [],
      });
      byFramework.set(fw, list);
    }
  }
  for (const [fw, list] of byFramework) {
    m.sendToFramework(fw, { type: 'INVERSE_OFFERS', inverse_offers: { inverse_offers: list } });
  }
}

/** ACCEPT_INVERSE_OFFERS / DECLINE_INVERSE_OFFERS: unknown or foreign ids are ignored, as upstream. */
export function answerInverseOffers(m: Master, fw: FrameworkRec, ids: readonly { value: string }[], filters: FiltersJson | undefined, accept: boolean): void {
  const s = maintenanceOf(m);
  const now = m.clock.now();
  const refuseMs = refuseMsOf(filters);
  for (const { value } of ids) {
    const io = s.inverseOffers.get(value as OfferId);
    if (io === undefined || io.frameworkId !== fw.id) {
      m.log.warn({ frameworkId: fw.id, inverseOfferId: value }, 'ignoring answer to an unknown inverse offer');
      continue;
    }
    s.inverseOffers.delete(io.id);
    const machine = s.machines.get(io.machineKey);
    machine?.statuses.set(fw.id, { status: accept ? 'ACCEPT' : 'DECLINE', timestamp: now });
    if (refuseMs > 0) s.inverseFilters.set(filterKey(fw.id, io.agentId), now + Math.max(refuseMs, m.config.allocationIntervalMs));
  }
}

/** Withdraws the outstanding inverse offers matching `which` (RESCIND_INVERSE_OFFER to connected frameworks). */
export function rescindInverseOffers(m: Master, which: (io: InverseOfferRec) => boolean): void {
  const s = maintenanceOf(m);
  for (const io of [...s.inverseOffers.values()]) {
    if (!which(io)) continue;
    s.inverseOffers.delete(io.id);
    const fw = m.frameworks.get(io.frameworkId);
    if (fw !== undefined && fw.streamId === io.streamId) {
      m.sendToFramework(fw, { type: 'RESCIND_INVERSE_OFFER', rescind_inverse_offer: { inverse_offer_id: { value: io.id } } });
    }
  }
}

/** REVIVE clears a framework's inverse-offer filters (spec §6.4). */
export function clearInverseFilters(m: Master, fid: FrameworkId): void {
  const s = maintenanceOf(m);
  for (const key of [...s.inverseFilters.keys()]) if (key.startsWith(`${fid}\u0000`)) s.inverseFilters.delete(key);
}
