/**
 * Maintenance schedule and machine modes (spec §5.5; `/maintenance/schedule`, `/machine/down`,
 * `/machine/up`, UPDATE_MAINTENANCE_SCHEDULE, START_MAINTENANCE, STOP_MAINTENANCE). Validation and
 * messages follow upstream's `maintenance::validation`; each change is durable in the registry before it is
 * applied. Runs on the Master actor.
 *
 * - A scheduled machine is DRAINING: its agents' offers carry the window's `unavailability` and frameworks
 *   with resources there get inverse offers (maintenance-inverse.ts).
 * - `/machine/down` (DRAINING → DOWN) shuts the machine's agents down and removes them (tasks end as for an
 *   agent that left: TASK_LOST, or TASK_GONE for PARTITION_AWARE frameworks); they cannot register while DOWN.
 * - `/machine/up` (DOWN → up) removes the machine from the schedule; its agents may register again.
 */
import type { MaintenanceScheduleJson } from '../api/mesos/operator.js';
import type { AgentId, FrameworkId } from '../core/ids.js';
import { agentRemoved } from './agent-health.js';
import type { CallResult, Master } from './master.js';
import type { InverseOfferAnswer, MachineIdJson, MachineRec, ScheduleJson, WindowJson } from './maintenance.js';
import { machineKey, machineMatches, machineText, maintenanceOf, registryMaintenance } from './maintenance.js';
import { rescindInverseOffers } from './maintenance-inverse.js';

const OK: CallResult = { status: 200, body: '' };
const bad = (body: string): CallResult => ({ status: 400, body });

function isIpv4(ip: string): boolean {
  const parts = ip.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** Upstream's `validation::machine`: a hostname or an IP, and a valid IP when given. */
export function validateMachine(id: MachineIdJson): string | undefined {
  if ((id.hostname ?? '') === '' && (id.ip ?? '') === '') return "One of 'hostname' or 'ip' must be specified in the 'MachineID'";
  if (id.ip !== undefined && id.ip !== '' && !isIpv4(id.ip)) return `Failed to parse IP '${id.ip}' of machine ${machineText(id)}`;
  return undefined;
}

/** Upstream's `validation::machines`: a non-empty list of valid, distinct machines. */
export function validateMachines(ids: readonly MachineIdJson[]): string | undefined {
  if (ids.length === 0) return 'List of machines is empty';
  const seen = new Set<string>();
  for (const id of ids) {
    const err = validateMachine(id);
    if (err !== undefined) return err;
    const key = machineKey(id);
    if (seen.has(key)) return `Machine '${machineText(id)}' appears more than once in the list`;
    seen.add(key);
  }
  return undefined;
}

/** Normalises a decoded Schedule (missing lists become empty). */
export function scheduleOf(raw: MaintenanceScheduleJson): ScheduleJson {
  return {
    windows: (raw.windows ?? []).map(
      (w): WindowJson => ({
        machine_ids: (w.machine_ids ?? []).map((id) => ({ ...(id.hostname !== undefined ? { hostname: id.hostname } : {}), ...(id.ip !== undefined ? { ip: id.ip } : {}) })),
        unavailability: w.unavailability,
      }),
    ),
  };
}

/** Upstream's `validation::schedule` against the current machines; undefined when valid. */
export function validateSchedule(schedule: ScheduleJson, machines: ReadonlyMap<string, MachineRec>): string | undefined {
  const updated = new Set<string>();
  for (const w of schedule.windows) {
    if (w.machine_ids.length === 0) return 'List of machines in the maintenance window is empty';
    if ((w.unavailability.duration?.nanoseconds ?? 0) < 0) return "Unavailability 'duration' is negative";
    for (const id of w.machine_ids) {
      const err = validateMachine(id);
      if (err !== undefined) return err;
      const key = machineKey(id);
      if (updated.has(key)) return `Machine '${machineText(id)}' appears more than once in the schedule`;
      updated.add(key);
    }
  }
  for (const [key, machine] of machines) {
    if (machine.mode === 'DOWN' && !updated.has(key)) return `Machine '${machineText(machine.id)}' is deactivated and cannot be removed from the schedule`;
  }
  return undefined;
}

function sameUnavailability(a: WindowJson['unavailability'], b: WindowJson['unavailability']): boolean {
  return a.start.nanoseconds === b.start.nanoseconds && (a.duration?.nanoseconds ?? -1) === (b.duration?.nanoseconds ?? -1);
}

/** Replaces the schedule: 200 once durable, 400 with upstream's message when invalid. */
export async function updateSchedule(m: Master, raw: MaintenanceScheduleJson): Promise<CallResult> {
  const s = maintenanceOf(m);
  const schedule = scheduleOf(raw);
  const err = validateSchedule(schedule, s.machines);
  if (err !== undefined) return bad(err);
  const next = new Map<string, MachineRec>();
  const changed: MachineRec[] = [];
  for (const w of schedule.windows) {
    for (const id of w.machine_ids) {
      const key = machineKey(id);
      const old = s.machines.get(key);
      const same = old !== undefined && sameUnavailability(old.unavailability, w.unavailability);
      next.set(key, { id, mode: old?.mode ?? 'DRAINING', unavailability: w.unavailability, statuses: same ? old.statuses : new Map<FrameworkId, { status: InverseOfferAnswer; timestamp: number }>() });
      if (!same) changed.push(next.get(key) as MachineRec);
    }
  }
  const removed = [...s.machines].filter(([key]) => !next.has(key)).map(([, x]) => x);
  await m.registry.putMaintenance(registryMaintenance(s, schedule, next.values()));
  s.schedule = schedule;
  s.machines.clear();
  for (const [key, x] of next) s.machines.set(key, x);
  s.machinesChanged();
  // As upstream's updateUnavailability: offers and inverse offers of the affected agents are rescinded, so
  // frameworks see the new window (or none) on the next offers.
  for (const x of [...removed, ...changed]) refreshMachine(m, x);
  m.triggerAllocation();
  return OK;
}

/** Rescinds the offers and inverse offers of the agents on a machine whose window changed. */
function refreshMachine(m: Master, machine: MachineRec): void {
  const s = maintenanceOf(m);
  const agents = new Set([...m.agents.values()].filter((a) => machineMatches(machine.id, a.info.hostname, a.ip)).map((a) => a.id));
  if (agents.size === 0) return;
  rescindInverseOffers(m, (io) => agents.has(io.agentId));
  for (const key of [...s.inverseFilters.keys()]) if (agents.has(key.slice(key.indexOf('\u0000') + 1) as AgentId)) s.inverseFilters.delete(key);
  for (const o of [...m.offers.values()]) if (agents.has(o.agentId)) m.rescindOffer(o.id, { notify: true });
}

/** Machines given to `/machine/down` or `/machine/up`, checked against the schedule; the records or a 400. */
function scheduled(m: Master, ids: readonly MachineIdJson[], mode: 'DRAINING' | 'DOWN'): MachineRec[] | CallResult {
  const err = validateMachines(ids);
  if (err !== undefined) return bad(err);
  const s = maintenanceOf(m);
  const out: MachineRec[] = [];
  for (const id of ids) {
    const machine = s.machines.get(machineKey(id));
    if (machine === undefined) return bad(`Machine '${machineText(id)}' is not part of a maintenance schedule`);
    if (machine.mode !== mode) {
      return bad(
        mode === 'DRAINING'
          ? `Machine '${machineText(id)}' is not in DRAINING mode and cannot be brought down`
          : `Machine '${machineText(id)}' is not in DOWN mode and cannot be brought up`,
      );
    }
    out.push(machine);
  }
  return out;
}

/** `/machine/down`, START_MAINTENANCE: DRAINING machines go DOWN; their agents are shut down and removed. */
export async function machinesDown(m: Master, ids: readonly MachineIdJson[]): Promise<CallResult> {
  const machines = scheduled(m, ids, 'DRAINING');
  if (!Array.isArray(machines)) return machines;
  const s = maintenanceOf(m);
  await m.registry.putMaintenance(registryMaintenance(s, s.schedule, [...s.machines.values()].map((x) => (machines.includes(x) ? { ...x, mode: 'DOWN' as const } : x))));
  for (const machine of machines) {
    machine.mode = 'DOWN';
    machine.statuses.clear();
    for (const agent of [...m.agents.values()]) {
      if (!machineMatches(machine.id, agent.info.hostname, agent.ip) || agent.state === 'gone') continue;
      rescindInverseOffers(m, (io) => io.agentId === agent.id);
      m.sendToAgent(agent, { type: 'SHUTDOWN', shutdown: { message: "Operator initiated 'Machine DOWN'" } });
      agentRemoved(m, agent);
      m.operatorEvents.agentRemoved(agent.id);
      m.log.warn({ agentId: agent.id }, "agent removed: operator initiated 'Machine DOWN'");
    }
  }
  return OK;
}

/** `/machine/up`, STOP_MAINTENANCE: DOWN machines leave the schedule (and empty windows go). */
export async function machinesUp(m: Master, ids: readonly MachineIdJson[]): Promise<CallResult> {
  const machines = scheduled(m, ids, 'DOWN');
  if (!Array.isArray(machines)) return machines;
  const s = maintenanceOf(m);
  const keys = new Set(machines.map((x) => machineKey(x.id)));
  const schedule: ScheduleJson = {
    windows: s.schedule.windows
      .map((w) => ({ ...w, machine_ids: w.machine_ids.filter((id) => !keys.has(machineKey(id))) }))
      .filter((w) => w.machine_ids.length > 0),
  };
  const rest = [...s.machines].filter(([key]) => !keys.has(key));
  await m.registry.putMaintenance(registryMaintenance(s, schedule, rest.map(([, x]) => x)));
  s.schedule = schedule;
  for (const key of keys) s.machines.delete(key);
  s.machinesChanged();
  return OK;
}
