/**
 * The master registry: what cannot be re-learned after a restart (spec §6.8, DESIGN "Coordination"):
 * admitted agents (AgentInfo, registered time, admitted/unreachable/gone, unreachable time) and frameworks
 * (FrameworkInfo, removed flag). Every write is a compare-and-set on the Store and is serialised, so a
 * caller that awaited a write knows it is durable before it acknowledges anything.
 */
import type { AgentInfoJson, FrameworkInfoJson, ResourceJson } from '../api/mesos/common.js';
import { getJson, jsonBytes, type Store, type Version } from '../coordination/index.js';

const AGENTS = 'master/registry/agents/';
const FRAMEWORKS = 'master/registry/frameworks/';
const WEIGHTS = 'master/registry/weights/';
const QUOTAS = 'master/registry/quotas/';
const MAINTENANCE = 'master/registry/maintenance';
const AGENT_DRAINS = 'master/registry/agent-drains/';

/** Registry state of an agent. */
export type RegistryAgentState = 'admitted' | 'unreachable' | 'gone';

/** One admitted agent as stored. */
export interface RegistryAgent {
  readonly id: string;
  readonly info: AgentInfoJson;
  readonly registered_time: number;
  readonly state: RegistryAgentState;
  readonly unreachable_time?: number;
  /** The agent's total with dynamic reservations and persistent volumes (absent: AgentInfo.resources). */
  readonly checkpointed_resources?: readonly ResourceJson[];
}

/** One framework as stored; removed ones stay so their id is refused. */
export interface RegistryFramework {
  readonly info: FrameworkInfoJson;
  readonly removed: boolean;
}

/** A role weight set through `/weights` or UPDATE_WEIGHTS. */
export interface RegistryWeight {
  readonly role: string;
  readonly weight: number;
}

/** A role quota (natural units by resource name). */
export interface RegistryQuota {
  readonly role: string;
  readonly guarantees: Readonly<Record<string, number>>;
  readonly limits: Readonly<Record<string, number>>;
}

/** The maintenance schedule (`maintenance.Schedule` JSON) and the mode of each scheduled machine. */
export interface RegistryMaintenance {
  readonly schedule: unknown;
  readonly machines: readonly { readonly id: { readonly hostname?: string; readonly ip?: string }; readonly mode: 'DRAINING' | 'DOWN' }[];
}

/** An agent the operator deactivated or is draining (DRAIN_AGENT / DEACTIVATE_AGENT). */
export interface RegistryAgentDrain {
  readonly agent_id: string;
  /** DrainInfo JSON (`{state, config}`) when draining; absent for a plain deactivation. */
  readonly drain_info?: unknown;
}

/** Everything recovered at start-up. */
export interface RegistrySnapshot {
  readonly agents: readonly RegistryAgent[];
  readonly frameworks: readonly RegistryFramework[];
  readonly weights: readonly RegistryWeight[];
  readonly quotas: readonly RegistryQuota[];
  /** Absent when no schedule was ever stored. */
  readonly maintenance?: RegistryMaintenance;
  readonly agentDrains?: readonly RegistryAgentDrain[];
}

/** Durable registry over a Store; writes are serialised CAS puts. */
export class Registry {
  private readonly versions = new Map<string, Version>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: Store) {}

  /** Loads everything; call once before serving. */
  async recover(): Promise<RegistrySnapshot> {
    const agents: RegistryAgent[] = [];
    for (const key of await this.store.list(AGENTS)) {
      const v = await getJson<RegistryAgent>(this.store, key);
      if (v === undefined) continue;
      this.versions.set(key, v.version);
      agents.push(v.value);
    }
    const frameworks: RegistryFramework[] = [];
    for (const key of await this.store.list(FRAMEWORKS)) {
      const v = await getJson<RegistryFramework>(this.store, key);
      if (v === undefined) continue;
      this.versions.set(key, v.version);
      frameworks.push(v.value);
    }
    const weights = await this.loadAll<RegistryWeight>(WEIGHTS);
    const quotas = await this.loadAll<RegistryQuota>(QUOTAS);
    const agentDrains = await this.loadAll<RegistryAgentDrain>(AGENT_DRAINS);
    const m = await getJson<RegistryMaintenance>(this.store, MAINTENANCE);
    if (m !== undefined) this.versions.set(MAINTENANCE, m.version);
    return { agents, frameworks, weights, quotas, agentDrains, ...(m !== undefined ? { maintenance: m.value } : {}) };
  }

  /** Stores the maintenance schedule and machine modes; resolves once durable. */
  putMaintenance(m: RegistryMaintenance): Promise<void> {
    return this.write(MAINTENANCE, m);
  }

  /** Stores an agent's deactivation / drain state; resolves once durable. */
  putAgentDrain(d: RegistryAgentDrain): Promise<void> {
    return this.write(AGENT_DRAINS + encodeURIComponent(d.agent_id), d);
  }

  /** Forgets an agent's deactivation (REACTIVATE_AGENT); resolves once durable. */
  removeAgentDrain(agentId: string): Promise<void> {
    return this.remove(AGENT_DRAINS + encodeURIComponent(agentId));
  }

  private async loadAll<T>(prefix: string): Promise<T[]> {
    const out: T[] = [];
    for (const key of await this.store.list(prefix)) {
      const v = await getJson<T>(this.store, key);
      if (v === undefined) continue;
      this.versions.set(key, v.version);
      out.push(v.value);
    }
    return out;
  }

  /** Stores a role weight; resolves once durable. */
  putWeight(w: RegistryWeight): Promise<void> {
    return this.write(WEIGHTS + encodeURIComponent(w.role), w);
  }

  /** Stores a role quota; resolves once durable. */
  putQuota(q: RegistryQuota): Promise<void> {
    return this.write(QUOTAS + encodeURIComponent(q.role), q);
  }

  /** Forgets a role quota; resolves once durable. */
  removeQuota(role: string): Promise<void> {
    return this.remove(QUOTAS + encodeURIComponent(role));
  }

  /** Admits or updates an agent record; resolves once durable. */
  putAgent(agent: RegistryAgent): Promise<void> {
    return this.write(AGENTS + agent.id, agent);
  }

  /** Forgets an agent that unregistered gracefully. */
  removeAgent(id: string): Promise<void> {
    return this.remove(AGENTS + id);
  }

  private remove(key: string): Promise<void> {
    const run = async (): Promise<void> => {
      const cur = await this.store.get(key);
      if (cur !== undefined) await this.store.delete(key, cur.version);
      this.versions.delete(key);
    };
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }

  putFramework(fw: RegistryFramework): Promise<void> {
    const id = fw.info.id?.value ?? '';
    return this.write(FRAMEWORKS + id, fw);
  }

  /** Waits for every queued write. */
  async drain(): Promise<void> {
    await this.tail.catch(() => undefined);
  }

  private write(key: string, value: unknown): Promise<void> {
    const run = async (): Promise<void> => {
      let expected: Version | 'absent' = this.versions.get(key) ?? 'absent';
      if (expected === 'absent') {
        // A key written by an earlier master instance that we did not load yet.
        const cur = await this.store.get(key);
        if (cur !== undefined) expected = cur.version;
      }
      const v = await this.store.put(key, jsonBytes(value), expected);
      this.versions.set(key, v);
    };
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }
}
