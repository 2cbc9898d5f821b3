/**
 * The master registry: what cannot be re-learned after a restart (spec §6.8, DESIGN "Coordination"):
 * admitted agents (AgentInfo, registered time, admitted/unreachable/gone, unreachable time) and frameworks
 * (FrameworkInfo, removed flag). Every write is a compare-and-set on the Store and is serialised, so a
 * caller that awaited a write knows it is durable before it acknowledges anything.
 */
import type { AgentInfoJson, FrameworkInfoJson, ResourceJson } from '../api/mesos/common.js';
import { getJson, jsonBytes, sortedJson, type Store, type Version } from '../coordination/index.js';

const AGENTS = 'master/registry/agents/';
const FRAMEWORKS = 'master/registry/frameworks/';
const WEIGHTS = 'master/registry/weights/';
const QUOTAS = 'master/registry/quotas/';
const MAINTENANCE = 'master/registry/maintenance';
const AGENT_DRAINS = 'master/registry/agent-drains/';
/** Registry reads in flight during recovery. */
const RECOVERY_READS = 64;

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

interface PendingWrite {
  readonly key: string;
  readonly value: unknown;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** Writes committed in one Store.putMany at most (agent records are ~1 KB; a ZooKeeper request is ≤ 1 MB). */
const MAX_BATCH = 64;

/** Durable registry over a Store; writes are serialised CAS puts, batched when several are queued. */
export class Registry {
  private readonly versions = new Map<string, Version>();
  /** Per key, the value last loaded or queued (canonical JSON) and its write. */
  private readonly requested = new Map<string, { readonly json: string; readonly done: Promise<void> }>();
  private tail: Promise<unknown> = Promise.resolve();
  private readonly pending: PendingWrite[] = [];
  private flushQueued = false;

  constructor(private readonly store: Store) {}

  /** Loads everything; call once before serving. */
  async recover(): Promise<RegistrySnapshot> {
    const agents = await this.loadAll<RegistryAgent>(AGENTS);
    const frameworks = await this.loadAll<RegistryFramework>(FRAMEWORKS);
    const weights = await this.loadAll<RegistryWeight>(WEIGHTS);
    const quotas = await this.loadAll<RegistryQuota>(QUOTAS);
    const agentDrains = await this.loadAll<RegistryAgentDrain>(AGENT_DRAINS);
    const m = await getJson<RegistryMaintenance>(this.store, MAINTENANCE);
    if (m !== undefined) this.loaded(MAINTENANCE, m.version, m.value);
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

  /**
   * Every value under prefix, in key order. Reads run RECOVERY_READS at a time: on ZooKeeper each is a
   * round trip, and 10k agents read one by one kept a new leader from serving for seconds (ADR 0041).
   */
  private async loadAll<T>(prefix: string): Promise<T[]> {
    const keys = await this.store.list(prefix);
    const out: (T | undefined)[] = new Array<T | undefined>(keys.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < keys.length) {
        const i = next++;
        const key = keys[i] as string;
        const v = await getJson<T>(this.store, key);
        if (v === undefined) continue;
        this.loaded(key, v.version, v.value);
        out[i] = v.value;
      }
    };
    await Promise.all(Array.from({ length: Math.min(RECOVERY_READS, keys.length) }, worker));
    return out.filter((v): v is T => v !== undefined);
  }

  private loaded(key: string, version: Version, value: unknown): void {
    this.versions.set(key, version);
    this.requested.set(key, { json: sortedJson(value), done: Promise.resolve() });
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
    this.requested.delete(key);
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

  /**
   * Queues a CAS put of value at key. A value equal to the last one stored or queued for that key is not
   * written again: the caller gets that write's promise (a re-registering agent whose record did not
   * change costs no ZooKeeper round trip, ADR 0041). A failed write is forgotten so the next one retries.
   * Writes queued together are committed together (Store.putMany: one ZooKeeper transaction instead of
   * one per agent in a registration storm), in order with removals.
   */
  private write(key: string, value: unknown): Promise<void> {
    const json = sortedJson(value);
    const last = this.requested.get(key);
    if (last?.json === json) return last.done;
    const p = new Promise<void>((resolve, reject) => this.pending.push({ key, value, resolve, reject }));
    if (!this.flushQueued) {
      this.flushQueued = true;
      const flush = (): Promise<void> => this.flush();
      this.tail = this.tail.then(flush, flush).catch(() => undefined);
    }
    const entry = { json, done: p };
    this.requested.set(key, entry);
    p.catch(() => {
      if (this.requested.get(key) === entry) this.requested.delete(key);
    });
    return p;
  }

  /** Commits the writes queued so far, in order, in batches of distinct keys. */
  private async flush(): Promise<void> {
    this.flushQueued = false;
    const queued = this.pending.splice(0);
    while (queued.length > 0) {
      const batch: PendingWrite[] = [];
      const keys = new Set<string>();
      while (batch.length < MAX_BATCH && queued.length > 0 && !keys.has((queued[0] as PendingWrite).key)) {
        const w = queued.shift() as PendingWrite;
        keys.add(w.key);
        batch.push(w);
      }
      if (batch.length > 1 && this.store.putMany !== undefined && (await this.tryBatch(batch))) continue;
      // One by one: a single write, a store without putMany, or a batch that failed (each caller gets its own error).
      for (const w of batch) {
        try {
          this.versions.set(w.key, await this.store.put(w.key, jsonBytes(w.value), await this.expected(w.key)));
          w.resolve();
        } catch (e: unknown) {
          w.reject(e);
        }
      }
    }
  }

  private async tryBatch(batch: readonly PendingWrite[]): Promise<boolean> {
    try {
      const writes = await Promise.all(batch.map(async (w) => ({ key: w.key, value: jsonBytes(w.value), expected: await this.expected(w.key) })));
      const versions = await (this.store.putMany as NonNullable<Store['putMany']>).call(this.store, writes);
      batch.forEach((w, i) => {
        this.versions.set(w.key, versions[i] as Version);
        w.resolve();
      });
      return true;
    } catch {
      return false;
    }
  }

  private async expected(key: string): Promise<Version | 'absent'> {
    const known = this.versions.get(key);
    if (known !== undefined) return known;
    // A key written by an earlier master instance that we did not load yet.
    return (await this.store.get(key))?.version ?? 'absent';
  }
}
