/**
 * Maintenance state of the Master actor (spec §5.5, §5.9, upstream maintenance primitives and 1.9+
 * agent draining): the schedule, each scheduled machine's mode (DRAINING until `/machine/down`, then DOWN
 * until `/machine/up`), inverse-offer answers per framework, and operator-deactivated / draining agents.
 *
 * The state hangs off the Master (one per actor, see `maintenanceOf`) and is changed only by the functions
 * of maintenance*.ts, which run on the actor. Every change is written to the registry before it is applied,
 * so a caller that awaited it knows it survives a master restart.
 *
 * A machine matches an agent when the machine's hostname (if given) equals the agent's hostname
 * case-insensitively and its IP (if given) equals the agent's IP. Upstream compares both fields exactly; a
 * machine given by hostname only would then never match, so Agora accepts either (see ADR 0013).
 */
import type { AgentId, FrameworkId, OfferId } from '../core/ids.js';
import type { Master } from './master.js';
import type { RegistryMaintenance, RegistrySnapshot } from './registry.js';
import type { AgentRec } from './types.js';

/** mesos.MachineID. */
export interface MachineIdJson {
  readonly hostname?: string;
  readonly ip?: string;
}

/** mesos.Unavailability (times in nanoseconds). */
export interface UnavailabilityJson {
  readonly start: { readonly nanoseconds: number };
  readonly duration?: { readonly nanoseconds: number };
}

/** maintenance.Window / maintenance.Schedule. */
export interface WindowJson {
  readonly machine_ids: readonly MachineIdJson[];
  readonly unavailability: UnavailabilityJson;
}
export interface ScheduleJson {
  readonly windows: readonly WindowJson[];
}

/** InverseOfferStatus.Status. */
export type InverseOfferAnswer = 'UNKNOWN' | 'ACCEPT' | 'DECLINE';

/** A machine in the schedule. */
export interface MachineRec {
  readonly id: MachineIdJson;
  mode: 'DRAINING' | 'DOWN';
  unavailability: UnavailabilityJson;
  /** Latest inverse-offer answer of each framework asked (timestamp in ms). */
  readonly statuses: Map<FrameworkId, { status: InverseOfferAnswer; timestamp: number }>;
}

/** An outstanding inverse offer; discarded when the framework's stream changes (failover). */
export interface InverseOfferRec {
  readonly id: OfferId;
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly machineKey: string;
  readonly streamId: string | undefined;
}

/** DrainInfo of an agent (`max_grace_period` in ns). */
export interface DrainRec {
  state: 'DRAINING' | 'DRAINED';
  readonly maxGracePeriodNs?: number;
  readonly markGone: boolean;
}

/** Everything maintenance-related the master holds (see the module comment). */
export class MaintenanceState {
  schedule: ScheduleJson = { windows: [] };
  /** By machineKey. */
  readonly machines = new Map<string, MachineRec>();
  readonly inverseOffers = new Map<OfferId, InverseOfferRec>();
  /** framework\0agent → time (ms) until which no inverse offer is sent (answer filters). */
  readonly inverseFilters = new Map<string, number>();
  /** Agents the operator deactivated or is draining: they get no offers. */
  readonly deactivated = new Set<AgentId>();
  readonly drains = new Map<AgentId, DrainRec>();
  /** Machines by lower-cased hostname and by IP, so matching an agent is O(1) (every offer asks). */
  private index: { byHost: Map<string, MachineRec[]>; byIp: Map<string, MachineRec[]> } | undefined;

  /** Call after adding or removing machines. */
  machinesChanged(): void {
    this.index = undefined;
  }

  /** The scheduled machine with this hostname and IP, if any (see the module comment). */
  find(hostname: string, ip: string): MachineRec | undefined {
    if (this.machines.size === 0) return undefined;
    if (this.index === undefined) {
      const byHost = new Map<string, MachineRec[]>();
      const byIp = new Map<string, MachineRec[]>();
      const add = (m: Map<string, MachineRec[]>, k: string, x: MachineRec): void => void m.set(k, [...(m.get(k) ?? []), x]);
      for (const x of this.machines.values()) {
        if ((x.id.hostname ?? '') !== '') add(byHost, (x.id.hostname ?? '').toLowerCase(), x);
        else add(byIp, x.id.ip ?? '', x);
      }
      this.index = { byHost, byIp };
    }
    for (const x of this.index.byHost.get(hostname.toLowerCase()) ?? []) if (machineMatches(x.id, hostname, ip)) return x;
    for (const x of this.index.byIp.get(ip) ?? []) if (machineMatches(x.id, hostname, ip)) return x;
    return undefined;
  }
}

const states = new WeakMap<Master, MaintenanceState>();

/** The maintenance state of a master (created on first use). */
export function maintenanceOf(m: Master): MaintenanceState {
  let s = states.get(m);
  if (s === undefined) states.set(m, (s = new MaintenanceState()));
  return s;
}

/** Canonical key of a machine id: lower-cased hostname and IP. */
export function machineKey(id: MachineIdJson): string {
  return `${(id.hostname ?? '').toLowerCase()}\u0000${id.ip ?? ''}`;
}

/** The machine id as upstream prints it in messages (`{"hostname":"h","ip":"1.2.3.4"}`). */
export function machineText(id: MachineIdJson): string {
  return JSON.stringify({ ...(id.hostname !== undefined ? { hostname: id.hostname } : {}), ...(id.ip !== undefined ? { ip: id.ip } : {}) });
}

/** True when the machine id designates this agent (see the module comment). */
export function machineMatches(id: MachineIdJson, hostname: string, ip: string): boolean {
  if ((id.hostname ?? '') === '' && (id.ip ?? '') === '') return false;
  if (id.hostname !== undefined && id.hostname !== '' && id.hostname.toLowerCase() !== hostname.toLowerCase()) return false;
  if (id.ip !== undefined && id.ip !== '' && id.ip !== ip) return false;
  return true;
}

/** The scheduled machine an agent runs on, if any. */
export function machineOf(m: Master, agent: Pick<AgentRec, 'info' | 'ip'>): MachineRec | undefined {
  return machineFor(maintenanceOf(m), agent.info.hostname, agent.ip);
}

/** The scheduled machine with this hostname and IP, if any. */
export function machineFor(s: MaintenanceState, hostname: string, ip: string): MachineRec | undefined {
  return s.find(hostname, ip);
}

/** Unavailability to put on offers of this agent (its machine is scheduled and DRAINING). */
export function unavailabilityOf(m: Master, agent: AgentRec): UnavailabilityJson | undefined {
  const machine = machineOf(m, agent);
  return machine?.mode === 'DRAINING' ? machine.unavailability : undefined;
}

/** True when agents on this machine must not register (mode DOWN). */
export function machineIsDown(m: Master, hostname: string, ip: string): boolean {
  return machineFor(maintenanceOf(m), hostname, ip)?.mode === 'DOWN';
}

/** What the registry holds for the current state. */
export function registryMaintenance(s: MaintenanceState, schedule: ScheduleJson = s.schedule, machines: Iterable<MachineRec> = s.machines.values()): RegistryMaintenance {
  return { schedule, machines: [...machines].map((x) => ({ id: x.id, mode: x.mode })) };
}

/** Restores the schedule, machine modes and deactivated/draining agents (from Master.recover). */
export function recoverMaintenance(m: Master, snap: RegistrySnapshot): void {
  const s = maintenanceOf(m);
  const stored = snap.maintenance;
  if (stored !== undefined) {
    s.schedule = stored.schedule as ScheduleJson;
    const modes = new Map(stored.machines.map((x) => [machineKey(x.id), x.mode]));
    for (const w of s.schedule.windows) {
      for (const id of w.machine_ids) {
        const key = machineKey(id);
        s.machines.set(key, { id, mode: modes.get(key) ?? 'DRAINING', unavailability: w.unavailability, statuses: new Map() });
      }
    }
    s.machinesChanged();
  }
  for (const d of snap.agentDrains ?? []) {
    const id = d.agent_id as AgentId;
    s.deactivated.add(id);
    const info = d.drain_info as { state?: string; config?: { max_grace_period?: { nanoseconds?: number }; mark_gone?: boolean } } | undefined;
    if (info !== undefined) {
      const ns = info.config?.max_grace_period?.nanoseconds;
      s.drains.set(id, { state: info.state === 'DRAINED' ? 'DRAINED' : 'DRAINING', markGone: info.config?.mark_gone === true, ...(ns !== undefined ? { maxGracePeriodNs: ns } : {}) });
    }
  }
}

/** DrainInfo JSON of an agent (for `/master/state`, GET_AGENTS and the registry). */
export function drainInfoJson(d: DrainRec): Record<string, unknown> {
  const config: Record<string, unknown> = { mark_gone: d.markGone };
  if (d.maxGracePeriodNs !== undefined) config['max_grace_period'] = { nanoseconds: d.maxGracePeriodNs };
  return { state: d.state, config };
}

/** Agent fields for state endpoints: `deactivated` and, while draining, `drain_info`. */
export function agentMaintenanceFields(m: Master, agentId: AgentId): { deactivated: boolean; drain_info?: Record<string, unknown> } {
  const s = maintenanceOf(m);
  const d = s.drains.get(agentId);
  return { deactivated: s.deactivated.has(agentId), ...(d !== undefined ? { drain_info: drainInfoJson(d) } : {}) };
}

/** maintenance.ClusterStatus JSON (`/maintenance/status`, GET_MAINTENANCE_STATUS). */
export function clusterStatusJson(m: Master): { draining_machines: unknown[]; down_machines: unknown[] } {
  const s = maintenanceOf(m);
  const machines = [...s.machines.values()];
  return {
    draining_machines: machines
      .filter((x) => x.mode === 'DRAINING')
      .map((x) => ({
        id: x.id,
        statuses: [...x.statuses].map(([fid, st]) => ({
          status: st.status,
          framework_id: { value: fid },
          timestamp: { nanoseconds: Math.round(st.timestamp * 1e6) },
        })),
      })),
    down_machines: machines.filter((x) => x.mode === 'DOWN').map((x) => x.id),
  };
}
