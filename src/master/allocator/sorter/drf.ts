/**
 * Dominant Resource Fairness sorter. A client's share is max over scalar resources r of
 * allocated_r / clusterTotal_r, divided by the client's weight. `sort()` is a total order: share, then the
 * number of allocations received, then name.
 *
 * Cost model (so that a cycle stays cheap at 20,000 agents): allocations are numeric vectors (sorter/totals.ts)
 * summed per client; the active clients are kept in a sorted array. An allocation moves one client (two binary
 * searches and a splice, O(clients) memmove at worst); `sort()` returns that array without copying unless it
 * changed since the last call (copy-on-write). Only a change of the cluster totals (shared ClusterTotals,
 * detected by its version) or of a weight re-sorts everything, lazily, at the next `sort()`. Nothing is
 * proportional to the number of agents.
 */
import type { AgentId } from '../../../core/ids.js';
import type { Resources } from '../../../core/resources.js';
import type { Quantities, Sorter } from './sorter.js';
import type { Vec } from './totals.js';
import { ClusterTotals, addVec } from './totals.js';

interface Client {
  readonly name: string;
  active: boolean;
  share: number;
  count: number;
  /** Scalar allocation in thousandths by slot, summed over agents. */
  readonly alloc: Vec;
}

/** Scalar quantities (natural units) of resources, for `Sorter.setAgentTotal`. */
export function scalarQuantities(resources: Resources, excluded?: ReadonlySet<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of resources.entries) {
    if (e.kind !== 'SCALAR' || excluded?.has(e.name) === true) continue;
    out.set(e.name, (out.get(e.name) ?? 0) + (e.milli ?? 0) / 1000);
  }
  return out;
}

function compare(a: Client, b: Client): number {
  if (a.share !== b.share) return a.share < b.share ? -1 : 1;
  if (a.count !== b.count) return a.count - b.count;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The DRF sorter; see the module comment for ordering and cost guarantees. */
export class DrfSorter implements Sorter {
  private readonly byName = new Map<string, Client>();
  private readonly weights = new Map<string, number>();
  private order: Client[] = [];
  private snapshot: readonly string[] | undefined;
  /** Weights changed: recompute and re-sort at the next `sort()`. */
  private weightsStale = false;
  private seenVersion: number;

  /** `totals` may be shared with other sorters of the same allocator. */
  constructor(
    excluded: ReadonlySet<string> = new Set(),
    readonly totals: ClusterTotals = new ClusterTotals(excluded),
  ) {
    this.seenVersion = totals.version;
  }

  add(client: string, initial?: readonly number[], count = 0): void {
    if (this.byName.has(client)) return;
    const alloc: Vec = initial === undefined ? [] : initial.slice();
    const c: Client = { name: client, active: true, share: 0, count, alloc };
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

  isActive(client: string): boolean {
    return this.byName.get(client)?.active === true;
  }

  setWeight(path: string, weight: number): void {
    if (!(weight > 0)) return;
    if (this.weights.get(path) === weight) return;
    this.weights.set(path, weight);
    if (this.byName.has(path)) this.markStale();
  }

  setAgentTotal(agentId: AgentId, total: Quantities | undefined): void {
    this.totals.setAgent(agentId, total === undefined ? undefined : this.totals.fromQuantities(total));
  }

  allocated(client: string, _agentId: AgentId, resources: Resources): void {
    this.change(client, this.totals.vector(resources), 1);
  }

  unallocated(client: string, _agentId: AgentId, resources: Resources): void {
    this.change(client, this.totals.vector(resources), -1);
  }

  /** `allocated` with a precomputed vector (from this sorter's ClusterTotals). */
  allocatedVec(client: string, delta: readonly number[]): void {
    this.change(client, delta, 1);
  }

  /** `unallocated` with a precomputed vector; clamped at zero. */
  unallocatedVec(client: string, delta: readonly number[]): void {
    this.change(client, delta, -1);
  }

  sort(): readonly string[] {
    this.refreshIfStale();
    this.snapshot ??= this.order.map((c) => c.name);
    return this.snapshot;
  }

  /**
   * The active clients in `sort()` order, without a copy: the array is live and must not be used after any
   * change to this sorter (the allocation cycle takes a `sort()` snapshot once it allocated).
   */
  liveOrder(): readonly { readonly name: string }[] {
    this.refreshIfStale();
    return this.order;
  }

  contains(client: string): boolean {
    return this.byName.has(client);
  }

  share(client: string): number {
    const c = this.byName.get(client);
    if (c === undefined) return 0;
    if (this.isStale()) return this.computeShare(c);
    return c.share;
  }

  clients(): readonly string[] {
    return [...this.byName.keys()];
  }

  /** Total allocation of a client, scalar quantities in natural units (for tests and debugging). */
  allocation(client: string): Quantities {
    const c = this.byName.get(client);
    return c === undefined ? new Map() : this.totals.toQuantities(c.alloc);
  }

  private isStale(): boolean {
    return this.weightsStale || this.seenVersion !== this.totals.version;
  }

  private refreshIfStale(): void {
    if (!this.isStale()) return;
    for (const c of this.byName.values()) c.share = this.computeShare(c);
    this.order.sort(compare);
    this.weightsStale = false;
    this.seenVersion = this.totals.version;
    this.snapshot = undefined;
  }

  private change(client: string, delta: readonly number[], sign: 1 | -1): void {
    const c = this.byName.get(client);
    if (c === undefined) return;
    const reposition = c.active && !this.isStale();
    if (reposition) this.detach(c);
    addVec(c.alloc, delta, sign);
    if (sign === 1) c.count++;
    if (reposition) this.insert(c);
  }

  private computeShare(c: Client): number {
    return this.totals.dominantShare(c.alloc) / (this.weights.get(c.name) ?? 1);
  }

  private markStale(): void {
    this.weightsStale = true;
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
    if (this.isStale()) {
      this.order.push(c);
      return;
    }
    c.share = this.computeShare(c);
    this.order.splice(this.position(c), 0, c);
  }

  private detach(c: Client): void {
    this.snapshot = undefined;
    if (this.isStale()) {
      const i = this.order.indexOf(c);
      if (i >= 0) this.order.splice(i, 1);
      return;
    }
    const i = this.position(c);
    if (this.order[i] !== c) throw new Error(`DrfSorter invariant broken: ${c.name} not at its position`);
    this.order.splice(i, 1);
  }
}
