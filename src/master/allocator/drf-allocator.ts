/**
 * The DRF allocator: applies AllocatorEvents to its books and runs allocation passes. Pure and
 * deterministic: the same events (and times) with the same seed give the same offers. Owned by the master
 * actor; never shared.
 */
import { assertNever } from '../../core/errors.js';
import type { AgentId } from '../../core/ids.js';
import type { Resources } from '../../core/resources.js';
import type { Rng } from '../../core/rng.js';
import type { FrameworkState } from './accounting.js';
import { Accounting, byAllocationRole } from './accounting.js';
import type { Allocator, AllocatorConfig, AllocatorEvent, OfferBatch, StarvationReport } from './allocator.js';
import { runCycle } from './cycle.js';
import { RefuseFilters } from './filters.js';
import { Quotas } from './quota.js';

type Ev<T extends AllocatorEvent['type']> = Extract<AllocatorEvent, { type: T }>;

/** Hierarchical DRF allocator with weights and quota behind the Allocator seam (spec §6.3–§6.5). */
export class DrfAllocator implements Allocator {
  private readonly books: Accounting;
  private readonly filters = new RefuseFilters();
  private readonly quotas: Quotas;
  private starvation: readonly StarvationReport[] = [];
  private cycles = 0;
  private seed: number | undefined;
  private lastNow = 0;

  constructor(
    private readonly config: AllocatorConfig,
    private readonly rng: Rng,
  ) {
    this.books = new Accounting(new Set(config.fairSharingExcludedResourceNames ?? []));
    this.quotas = new Quotas(this.books.totals);
    for (const [role, w] of config.roleWeights ?? []) if (w > 0) this.books.setWeight(role, w);
  }

  apply(event: AllocatorEvent, now: number): void {
    this.lastNow = Math.max(this.lastNow, now);
    switch (event.type) {
      case 'agentAdded':
        return this.agentAdded(event);
      case 'agentRemoved':
        this.filters.clearAgent(event.agentId);
        this.books.removeAgent(event.agentId);
        return;
      case 'agentActivated':
      case 'agentDeactivated': {
        const agent = this.books.agents.get(event.agentId);
        if (agent !== undefined) agent.active = event.type === 'agentActivated';
        return;
      }
      case 'frameworkAdded':
        return this.frameworkAdded(event);
      case 'frameworkUpdated':
        return this.frameworkUpdated(event);
      case 'frameworkRemoved': {
        const fw = this.books.frameworks.get(event.frameworkId);
        this.filters.clearFramework(event.frameworkId);
        if (fw !== undefined) this.books.removeFramework(fw);
        return;
      }
      case 'frameworkActivated':
      case 'frameworkDeactivated': {
        const fw = this.books.frameworks.get(event.frameworkId);
        if (fw === undefined) return;
        fw.active = event.type === 'frameworkActivated';
        // As upstream: a deactivated (disconnected) framework loses its refuse filters.
        if (!fw.active) this.filters.clearFramework(fw.id);
        this.books.refresh(fw);
        return;
      }
      case 'resourcesRecovered':
        return this.resourcesRecovered(event, now);
      case 'resourcesUsed': {
        const fw = this.books.framework(event.frameworkId);
        this.trackUsed(fw, event.agentId, event.resources, false);
        return;
      }
      case 'agentResourcesConverted': {
        const agent = this.books.agents.get(event.agentId);
        if (agent === undefined) return;
        const consumed = event.consumed.unallocated();
        const produced = event.produced.unallocated();
        agent.total = agent.total.minus(consumed).plus(produced);
        agent.free = agent.free.minus(consumed).plus(produced);
        this.books.totals.setAgent(agent.id, this.books.totals.vector(agent.total));
        return;
      }
      case 'suppress':
      case 'revive':
        return this.suppressOrRevive(event);
      case 'weightsUpdated':
        for (const [role, w] of event.weights) if (w > 0) this.books.setWeight(role, w);
        return;
      case 'quotaUpdated':
        this.quotas.set(event.role, { guarantees: event.guarantees, limits: event.limits });
        return;
      default:
        return assertNever(event);
    }
  }

  cycle(now: number, agents?: ReadonlySet<AgentId>): readonly OfferBatch[] {
    this.lastNow = Math.max(this.lastNow, now);
    const rng = this.rng.fork(`allocation-cycle-${this.cycles++}`);
    this.seed = rng.seed;
    const result = runCycle(this.books, this.filters, this.config, rng, now, this.quotas, agents);
    // A targeted pass saw a few agents only: the "why nothing" report stays the last full cycle's.
    if (agents === undefined) this.starvation = result.starvation;
    return result.offers;
  }

  /** Seed of the last cycle's agent shuffle (log it: the cycle can be replayed from it); undefined before the first. */
  lastCycleSeed(): number | undefined {
    return this.seed;
  }

  lastCycleStarvation(): readonly StarvationReport[] {
    return this.starvation;
  }

  roleShares(): ReadonlyMap<string, number> {
    const out = new Map<string, number>();
    for (const role of [...this.books.roles.roles()].sort()) out.set(role, this.books.roles.share(role));
    return out;
  }

  activeFilters(): ReadonlyMap<string, number> {
    return this.filters.countByRole(this.lastNow);
  }

  /** Free (unheld) resources of an agent, for tests and debugging; undefined for an unknown agent. */
  freeOn(agentId: AgentId): Resources | undefined {
    return this.books.agents.get(agentId)?.free;
  }

  private agentAdded(e: Ev<'agentAdded'>): void {
    if (this.books.agents.has(e.agentId)) {
      this.filters.clearAgent(e.agentId);
      this.books.removeAgent(e.agentId);
    }
    const total = e.total.unallocated();
    this.books.addAgent({
      id: e.agentId,
      hostname: e.hostname,
      total,
      free: total,
      active: true,
      hasGpus: total.scalar('gpus') > 0,
      holders: new Set(),
    });
    for (const [fid, res] of e.used) this.trackUsed(this.books.framework(fid), e.agentId, res, true);
  }

  private frameworkAdded(e: Ev<'frameworkAdded'>): void {
    const fw = this.books.framework(e.frameworkId);
    const previous = [...fw.roles];
    fw.known = true;
    fw.active = e.active;
    fw.roles = new Set(e.roles);
    fw.suppressed = new Set(e.suppressedRoles);
    fw.capabilities = e.capabilities;
    fw.minAllocatable = e.minAllocatable ?? new Map();
    this.books.refresh(fw, previous);
    for (const [agentId, res] of e.used) this.trackUsed(fw, agentId, res, true);
  }

  private frameworkUpdated(e: Ev<'frameworkUpdated'>): void {
    const fw = this.books.frameworks.get(e.frameworkId);
    if (fw === undefined) return;
    const previous = [...fw.roles];
    fw.roles = new Set(e.roles);
    fw.suppressed = new Set(e.suppressedRoles);
    fw.capabilities = e.capabilities;
    if (e.minAllocatable !== undefined) fw.minAllocatable = e.minAllocatable;
    const dropped = new Set(previous.filter((r) => !fw.roles.has(r)));
    if (dropped.size > 0) this.filters.clearRoles(fw.id, dropped);
    this.books.refresh(fw, previous);
  }

  /**
   * Counts resources in use as held. With `idempotent`, what the books already hold for (framework, role,
   * agent) is not counted again: an agent re-registering and its framework re-subscribing after a master
   * failover both report the same tasks.
   */
  private trackUsed(fw: FrameworkState, agentId: AgentId, resources: Resources, idempotent: boolean): void {
    const fallback = [...fw.roles][0] ?? '*';
    for (const [role, part] of byAllocationRole(resources, fallback)) {
      const already = fw.held.get(role)?.get(agentId);
      const extra = idempotent && already !== undefined ? part.minus(already) : part;
      if (!extra.isEmpty()) this.books.track(fw, agentId, role, extra);
    }
  }

  private resourcesRecovered(e: Ev<'resourcesRecovered'>, now: number): void {
    const fw = this.books.frameworks.get(e.frameworkId);
    if (fw === undefined) return;
    const fallback = [...fw.roles][0] ?? '*';
    for (const [role, part] of byAllocationRole(e.resources, fallback)) {
      this.books.untrack(fw, e.agentId, role, part);
      const refuseMs = e.refuseMs ?? 0;
      if (refuseMs > 0 && this.books.agents.has(e.agentId)) {
        const expiresAt = now + Math.max(refuseMs, this.config.allocationIntervalMs);
        this.filters.add(fw.id, role, e.agentId, part, expiresAt);
      }
    }
  }

  private suppressOrRevive(e: Ev<'suppress'> | Ev<'revive'>): void {
    const fw = this.books.frameworks.get(e.frameworkId);
    if (fw === undefined) return;
    const roles = new Set(e.roles.length > 0 ? e.roles : fw.roles);
    for (const role of roles) {
      if (e.type === 'suppress') fw.suppressed.add(role);
      else fw.suppressed.delete(role);
    }
    if (e.type === 'revive') this.filters.clearRoles(fw.id, roles);
    this.books.refresh(fw);
  }
}

