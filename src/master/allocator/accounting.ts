/**
 * The allocator's books: agents (total and free pool), frameworks (roles, capabilities, what they hold
 * per role and agent) and the two levels of DRF sorters, kept consistent by `track`/`untrack`.
 *
 * Invariant: for every agent, free + Σ held (without allocation roles) = total. Every change of what a
 * framework holds goes through `track`/`untrack`, which update the free pool and both sorters together.
 */
import type { AgentId, FrameworkId } from '../../core/ids.js';
import { Resources } from '../../core/resources.js';
import type { FrameworkCapabilities } from './allocator.js';
import { RoleTree } from './role-tree.js';
import { DrfSorter } from './sorter/drf.js';
import { ClusterTotals } from './sorter/totals.js';

export type Shape = Readonly<Record<string, number>>;

export interface AgentState {
  readonly id: AgentId;
  hostname: string;
  total: Resources;
  /** Not held by any framework, without allocation roles. */
  free: Resources;
  active: boolean;
  hasGpus: boolean;
  /** Frameworks holding something here. */
  readonly holders: Set<FrameworkId>;
}

export interface FrameworkState {
  readonly id: FrameworkId;
  /** False for a placeholder created because an agent reported its tasks before it re-subscribed. */
  known: boolean;
  active: boolean;
  roles: Set<string>;
  suppressed: Set<string>;
  capabilities: FrameworkCapabilities;
  /** Per-role min_allocatable_resources overrides (FrameworkInfo.offer_filters). */
  minAllocatable: ReadonlyMap<string, readonly Shape[]>;
  /** role → agent → resources held (with allocation role). */
  readonly held: Map<string, Map<AgentId, Resources>>;
}

/** Common part of a and b (min for scalars, intersection for ranges and sets), same identities. */
export function intersect(a: Resources, b: Resources): Resources {
  return a.minus(a.minus(b));
}

/** Splits resources by allocation role; entries without one go to fallbackRole. */
export function byAllocationRole(resources: Resources, fallbackRole: string): Map<string, Resources> {
  const out = new Map<string, Resources>();
  const entries = resources.entries;
  const first = entries[0]?.allocationRole;
  if (first !== undefined && entries.every((e) => e.allocationRole === first)) return out.set(first, resources);
  for (const e of resources.entries) {
    const role = e.allocationRole ?? fallbackRole;
    const one = Resources.of([{ ...e, allocationRole: role }]);
    const prev = out.get(role);
    out.set(role, prev === undefined ? one : prev.plus(one));
  }
  return out;
}

const NO_CAPABILITIES: FrameworkCapabilities = { gpuResources: false, multiRole: false, revocable: false };

/** Books of one allocator. Owned by DrfAllocator; not shared. */
export class Accounting {
  readonly agents = new Map<AgentId, AgentState>();
  readonly frameworks = new Map<FrameworkId, FrameworkState>();
  /** Slot registry and cluster totals shared by every sorter below. */
  readonly totals: ClusterTotals;
  /** Hierarchical DRF between roles (a role's allocation includes its sub-roles). */
  readonly roles: RoleTree;
  /** DRF between the frameworks of each role. */
  readonly frameworkSorters = new Map<string, DrfSorter>();

  constructor(private readonly excluded: ReadonlySet<string> = new Set()) {
    this.totals = new ClusterTotals(excluded);
    this.roles = new RoleTree(this.totals);
  }

  framework(id: FrameworkId): FrameworkState {
    let fw = this.frameworks.get(id);
    if (fw === undefined) {
      fw = {
        id,
        known: false,
        active: false,
        roles: new Set(),
        suppressed: new Set(),
        capabilities: NO_CAPABILITIES,
        minAllocatable: new Map(),
        held: new Map(),
      };
      this.frameworks.set(id, fw);
    }
    return fw;
  }

  setWeight(role: string, weight: number): void {
    this.roles.setWeight(role, weight);
  }

  addAgent(agent: AgentState): void {
    this.agents.set(agent.id, agent);
    this.totals.setAgent(agent.id, this.totals.vector(agent.total));
  }

  /** Forgets an agent and everything held on it. */
  removeAgent(agentId: AgentId): void {
    const agent = this.agents.get(agentId);
    if (agent === undefined) return;
    for (const fid of [...agent.holders]) {
      const fw = this.frameworks.get(fid);
      if (fw === undefined) continue;
      for (const [role, perAgent] of [...fw.held]) {
        const res = perAgent.get(agentId);
        if (res !== undefined) this.untrack(fw, agentId, role, res);
      }
    }
    this.agents.delete(agentId);
    this.totals.setAgent(agentId, undefined);
  }

  /**
   * Records resources (already marked with `role`) as held by fw on agent and takes them out of the free
   * pool. Only what is actually free is taken (returned), so the books never exceed the agent's total.
   */
  track(fw: FrameworkState, agentId: AgentId, role: string, resources: Resources): Resources {
    const agent = this.agents.get(agentId);
    if (agent === undefined) return Resources.EMPTY;
    const plain = intersect(agent.free, resources.unallocated());
    if (plain.isEmpty()) return Resources.EMPTY;
    return this.take(fw, agent, role, plain, plain.allocate(role));
  }

  /**
   * `track` for resources known to be free (the allocation cycle derives them from the free pool):
   * skips the intersection. `plain` must be part of `agent.free`; `offered` is `plain` marked with `role`.
   */
  trackFree(fw: FrameworkState, agent: AgentState, role: string, plain: Resources, offered: Resources): Resources {
    return this.take(fw, agent, role, plain, offered);
  }

  private take(fw: FrameworkState, agent: AgentState, role: string, plain: Resources, taken: Resources): Resources {
    const agentId = agent.id;
    agent.free = agent.free.minus(plain);
    agent.holders.add(fw.id);
    let perAgent = fw.held.get(role);
    if (perAgent === undefined) {
      perAgent = new Map();
      fw.held.set(role, perAgent);
    }
    const prev = perAgent.get(agentId);
    perAgent.set(agentId, prev === undefined ? taken : prev.plus(taken));
    this.syncMembership(fw, role);
    const vec = this.totals.vector(taken);
    this.roles.allocated(role, vec);
    this.sorterFor(role).allocatedVec(fw.id, vec);
    return taken;
  }

  /** Returns resources (marked with `role`) held by fw on agent to the free pool; returns what came back. */
  untrack(fw: FrameworkState, agentId: AgentId, role: string, resources: Resources): Resources {
    const perAgent = fw.held.get(role);
    const prev = perAgent?.get(agentId);
    if (perAgent === undefined || prev === undefined) return Resources.EMPTY;
    const marked = resources.entries.every((e) => e.allocationRole === role) ? resources : resources.allocate(role);
    // Fast path: the common case returns exactly what is held (a whole offer declined).
    const whole = marked.equals(prev);
    const back = whole ? prev : intersect(prev, marked);
    if (back.isEmpty()) return Resources.EMPTY;
    const rest = whole ? Resources.EMPTY : prev.minus(back);
    if (rest.isEmpty()) perAgent.delete(agentId);
    else perAgent.set(agentId, rest);
    if (perAgent.size === 0) fw.held.delete(role);
    const agent = this.agents.get(agentId);
    if (agent !== undefined) {
      agent.free = agent.free.plus(back.unallocated());
      let holds = false;
      for (const m of fw.held.values()) if (m.has(agentId)) holds = true;
      if (!holds) agent.holders.delete(fw.id);
    }
    const vec = this.totals.vector(back);
    this.frameworkSorters.get(role)?.unallocatedVec(fw.id, vec);
    this.roles.unallocated(role, vec);
    this.syncMembership(fw, role);
    return back;
  }

  /** Returns everything fw holds, then forgets it. */
  removeFramework(fw: FrameworkState): void {
    for (const [role, perAgent] of [...fw.held]) {
      for (const [agentId, res] of [...perAgent]) this.untrack(fw, agentId, role, res);
    }
    const roles = new Set([...fw.roles, ...fw.held.keys()]);
    this.frameworks.delete(fw.id);
    for (const role of roles) this.syncMembership(fw, role);
  }

  /** Re-derives sorter membership and activity of fw in each role it has or holds resources in. */
  refresh(fw: FrameworkState, previousRoles: Iterable<string> = []): void {
    for (const role of new Set([...previousRoles, ...fw.roles, ...fw.held.keys()])) this.syncMembership(fw, role);
  }

  /** Whether fw should get offers for role now. */
  static wantsOffers(fw: FrameworkState, role: string): boolean {
    return fw.known && fw.active && fw.roles.has(role) && !fw.suppressed.has(role);
  }

  private sorterFor(role: string): DrfSorter {
    let s = this.frameworkSorters.get(role);
    if (s === undefined) {
      s = new DrfSorter(this.excluded, this.totals);
      this.frameworkSorters.set(role, s);
      this.roles.retain(role);
    }
    return s;
  }

  private syncMembership(fw: FrameworkState, role: string): void {
    const present = this.frameworks.get(fw.id) === fw;
    const member = present && (fw.roles.has(role) || fw.held.has(role));
    if (member) {
      const s = this.sorterFor(role);
      s.add(fw.id);
      s.setActive(fw.id, Accounting.wantsOffers(fw, role));
      return;
    }
    const s = this.frameworkSorters.get(role);
    if (s === undefined) return;
    s.remove(fw.id);
    if (s.clients().length === 0) {
      this.frameworkSorters.delete(role);
      this.roles.release(role);
    }
  }
}
