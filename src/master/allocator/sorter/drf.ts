/**
 * Dominant Resource Fairness sorter. A client's share is max over scalar resources r of
 * allocated_r / clusterTotal_r, divided by the client's weight. `sort()` is a total order: share, then the
 * number of allocations received, then name.
 *
 * Cost model (so that a cycle stays cheap at 20,000 agents): the active clients are kept in a sorted
 * array. An allocation moves one client (two binary searches and a splice, O(clients) memmove at worst);
 * `sort()` returns that array without copying unless it changed since the last call (copy-on-write).
 * Only a change of the cluster totals or of a weight re-sorts everything, lazily, at the next `sort()`.
 * Nothing is proportional to the number of agents.
 */
import type { AgentId } from '../../../core/ids.js';
import type { Resources } from '../../../core/resources.js';
import { toMilli } from '../../../core/resources.js';
import type { Quantities, Sorter } from './sorter.js';

interface Client {
  readonly name: string;
  active: boolean;
  share: number;
  count: number;
  /** Scalar allocation in thousandths, summed over agents. */
  readonly total: Map<string, number>;
  /** Scalar allocation in thousandths, per agent. */
  readonly byAgent: Map<AgentId, Map<string, number>>;
}

/** Scalar parts of resources in thousandths, without the excluded names. */
export function scalarMilli(resources: Resources, excluded?: ReadonlySet<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of resources.entries) {
    if (e.kind !== 'SCALAR' || excluded?.has(e.name) === true) continue;
    out.set(e.name, (out.get(e.name) ?? 0) + (e.milli ?? 0));
  }
  return out;
}

/** Scalar quantities (natural units) of resources, for `Sorter.setAgentTotal`. */
export function scalarQuantities(resources: Resources, excluded?: ReadonlySet<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of scalarMilli(resources, excluded)) out.set(k, v / 1000);
  return out;
}

function compare(a: Client, b: Client): number {
  if (a.share !== b.share) return a.share < b.share ? -1 : 1;
  if (a.count !== b.count) return a.count - b.count;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function addInto(into: Map<string, number>, from: ReadonlyMap<string, number>, sign: 1 | -1): void {
  for (const [k, v] of from) {
    const next = (into.get(k) ?? 0) + sign * v;
    if (next > 0) into.set(k, next);
    else into.delete(k);
  }
}

/** The DRF sorter; see the module comment for ordering and cost guarantees. */
export class DrfSorter implements Sorter {
  private readonly byName = new Map<string, Client>();
  private readonly weights = new Map<string, number>();
  private readonly agentTotals = new Map<AgentId, Map<string, number>>();
  private readonly clusterTotal = new Map<string, number>();
  private order: Client[] = [];
  private snapshot: readonly string[] | undefined;
  /** Shares are stale (totals or weights changed): recompute and re-sort at the next `sort()`. */
  private stale = false;

  constructor(private readonly excluded: ReadonlySet<string> = new Set()) {}

  add(client: string): void {
    if (this.byName.has(client)) return;
    const c: Client = { name: client, active: true, share: 0, count: 0, total: new Map(), byAgent: new Map() };
    this.byName.set(client, c);
    this.insert(c);
  }

  remove(client: string): void {
    const c = this.byName.get(client);
    if (c === undefined) return;
    if (c.active) this.detach(c);
    this.byName.delete(client);
  }

  setActive(client: string, on: boolean): void {
    const c = this.byName.get(client);
    if (c === undefined || c.active === on) return;
    if (on) {
      c.active = true;
      this.insert(c);
    } else {
      this.detach(c);
      c.active = false;
    }
  }

  setWeight(path: string, weight: number): void {
    if (!(weight > 0)) return;
    this.weights.set(path, weight);
    if (this.byName.has(path)) this.markStale();
  }

  setAgentTotal(agentId: AgentId, total: Quantities | undefined): void {
    const old = this.agentTotals.get(agentId);
    if (old !== undefined) addInto(this.clusterTotal, old, -1);
    if (total === undefined) {
      this.agentTotals.delete(agentId);
    } else {
      const milli = new Map<string, number>();
      for (const [k, v] of total) if (!this.excluded.has(k)) milli.set(k, toMilli(v));
      this.agentTotals.set(agentId, milli);
      addInto(this.clusterTotal, milli, 1);
    }
    this.markStale();
  }

  allocated(client: string, agentId: AgentId, resources: Resources): void {
    this.change(client, agentId, scalarMilli(resources, this.excluded), 1);
  }

  unallocated(client: string, agentId: AgentId, resources: Resources): void {
    this.change(client, agentId, scalarMilli(resources, this.excluded), -1);
  }

  sort(): readonly string[] {
    if (this.stale) {
      for (const c of this.byName.values()) c.share = this.computeShare(c);
      this.order.sort(compare);
      this.stale = false;
      this.snapshot = undefined;
    }
    this.snapshot ??= this.order.map((c) => c.name);
    return this.snapshot;
  }

  contains(client: string): boolean {
    return this.byName.has(client);
  }

  share(client: string): number {
    const c = this.byName.get(client);
    if (c === undefined) return 0;
    if (this.stale) return this.computeShare(c);
    return c.share;
  }

  clients(): readonly string[] {
    return [...this.byName.keys()];
  }

  /** Allocation of a client on one agent, scalar quantities in natural units (for tests and debugging). */
  allocation(client: string, agentId: AgentId): Quantities {
    const out = new Map<string, number>();
    for (const [k, v] of this.byName.get(client)?.byAgent.get(agentId) ?? []) out.set(k, v / 1000);
    return out;
  }

  private change(client: string, agentId: AgentId, delta: ReadonlyMap<string, number>, sign: 1 | -1): void {
    const c = this.byName.get(client);
    if (c === undefined) return;
    const onAgent = c.byAgent.get(agentId) ?? new Map<string, number>();
    if (sign === -1) {
      // Clamp: never take back more than this agent holds for the client.
      const clamped = new Map<string, number>();
      for (const [k, v] of delta) clamped.set(k, Math.min(v, onAgent.get(k) ?? 0));
      delta = clamped;
    }
    const reposition = c.active && !this.stale;
    if (reposition) this.detach(c);
    addInto(onAgent, delta, sign);
    if (onAgent.size > 0) c.byAgent.set(agentId, onAgent);
    else c.byAgent.delete(agentId);
    addInto(c.total, delta, sign);
    if (sign === 1) c.count++;
    if (reposition) {
      c.share = this.computeShare(c);
      this.insert(c);
    }
  }

  private computeShare(c: Client): number {
    let share = 0;
    for (const [name, alloc] of c.total) {
      const total = this.clusterTotal.get(name);
      if (total === undefined || total <= 0) continue;
      const s = alloc / total;
      if (s > share) share = s;
    }
    return share / (this.weights.get(c.name) ?? 1);
  }

  private markStale(): void {
    this.stale = true;
    this.snapshot = undefined;
  }

  /** Index of c in order, or of where it would go. */
  private position(c: Client): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(this.order[mid] as Client, c) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insert(c: Client): void {
    this.snapshot = undefined;
    if (this.stale) {
      this.order.push(c);
      return;
    }
    c.share = this.computeShare(c);
    this.order.splice(this.position(c), 0, c);
  }

  private detach(c: Client): void {
    this.snapshot = undefined;
    if (this.stale) {
      const i = this.order.indexOf(c);
      if (i >= 0) this.order.splice(i, 1);
      return;
    }
    const i = this.position(c);
    if (this.order[i] !== c) throw new Error(`DrfSorter invariant broken: ${c.name} not at its position`);
    this.order.splice(i, 1);
  }
}
