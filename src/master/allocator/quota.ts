/**
 * Quota (spec §6.5): per-role guarantees and limits on scalar resources. A role's consumption is what its
 * subtree holds (offered or in use) plus the reservations of its subtree that nobody holds. Limits are
 * never exceeded: an offer's unreserved scalars are chopped to what the limits of the role and its
 * ancestors leave. Guarantees are met first (stage 1 of the cycle), and in stage 2 unreserved resources
 * are only offered beyond what must stay free ("headroom") to meet other roles' unmet guarantees.
 *
 * `Quotas` holds the configuration; `QuotaCycle` is the per-cycle view (consumption, free unreserved pool,
 * required headroom), charged as offers are made. With no quota configured nothing here runs.
 */
import { Resources, reservationRole } from '../../core/resources.js';
import type { Accounting } from './accounting.js';
import { roleAndAncestors } from './role-tree.js';
import type { ClusterTotals, Vec } from './sorter/totals.js';
import { addVec } from './sorter/totals.js';

/** Quota of one role, natural units by resource name. Empty maps: no guarantee / no limit. */
export interface QuotaConfig {
  readonly guarantees: ReadonlyMap<string, number>;
  readonly limits: ReadonlyMap<string, number>;
}

interface QuotaVecs {
  readonly guarantees: Vec;
  /** Infinity where there is no limit. */
  readonly limits: Vec;
  readonly hasGuarantees: boolean;
}

/** The configured quotas of one allocator. */
export class Quotas {
  private readonly byRole = new Map<string, QuotaConfig>();
  private vecs = new Map<string, QuotaVecs>();
  private readonly chains = new Map<string, readonly string[]>();

  constructor(private readonly totals: ClusterTotals) {}

  /** Sets a role's quota; empty guarantees and limits remove it. */
  set(role: string, quota: QuotaConfig): void {
    if (quota.guarantees.size === 0 && quota.limits.size === 0) this.byRole.delete(role);
    else this.byRole.set(role, quota);
    this.vecs = new Map();
    this.chains.clear();
  }

  isEmpty(): boolean {
    return this.byRole.size === 0;
  }

  roles(): IterableIterator<string> {
    return this.byRole.keys();
  }

  get(role: string): QuotaConfig | undefined {
    return this.byRole.get(role);
  }

  /** Quota roles among role and its ancestors, top-level first. */
  chain(role: string): readonly string[] {
    let c = this.chains.get(role);
    if (c === undefined) {
      c = roleAndAncestors(role).filter((r) => this.byRole.has(r));
      this.chains.set(role, c);
    }
    return c;
  }

  vectors(role: string): QuotaVecs | undefined {
    let v = this.vecs.get(role);
    if (v !== undefined) return v;
    const q = this.byRole.get(role);
    if (q === undefined) return undefined;
    const limits: Vec = [];
    for (const [name, value] of q.limits) {
      const s = this.totals.slot(name);
      if (s < 0) continue;
      while (limits.length <= s) limits.push(Infinity);
      limits[s] = Math.round(value * 1000);
    }
    const guarantees = this.totals.fromQuantities(q.guarantees);
    v = { guarantees, limits, hasGuarantees: guarantees.some((x) => x > 0) };
    this.vecs.set(role, v);
    return v;
  }
}

/** Unreserved scalar parts of resources as a vector. */
export function unreservedVector(totals: ClusterTotals, resources: Resources): Vec {
  if (resources.entries.every((e) => e.reservations.length === 0)) return totals.vector(resources);
  return totals.vector(resources.filter((e) => e.reservations.length === 0));
}

/**
 * Chops the unreserved scalar entries of resources so that, per slot, at most cap[slot] (thousandths;
 * missing or Infinity = no cap) is kept. Reserved entries and non-scalars are kept whole.
 */
export function chop(resources: Resources, totals: ClusterTotals, cap: readonly number[]): Resources {
  const left = cap.slice();
  let changed = false;
  const entries = resources.entries.map((e) => {
    if (e.kind !== 'SCALAR' || e.reservations.length > 0) return e;
    const s = totals.slot(e.name);
    const room = s < 0 ? Infinity : (left[s] ?? Infinity);
    if (room === Infinity) return e;
    const milli = e.milli ?? 0;
    const keep = Math.max(0, Math.min(milli, room));
    left[s] = room - keep;
    if (keep === milli) return e;
    changed = true;
    return { ...e, milli: keep };
  });
  return changed ? Resources.of(entries) : resources;
}

/** Per-cycle quota state; see the module comment. */
export class QuotaCycle {
  /** Consumption of every quota role (thousandths by slot). */
  private readonly consumed = new Map<string, Vec>();
  /** Unreserved resources not held by anyone on active agents. */
  private readonly available: Vec = [];
  private readonly anyGuarantee: boolean;
  /** Answers of `wantsGuarantee` and `cap`, valid until the next `charge`. */
  private readonly wantsCache = new Map<string, boolean>();
  private readonly capCache = new Map<string, Vec>();

  constructor(
    private readonly books: Accounting,
    private readonly quotas: Quotas,
  ) {
    const totals = books.totals;
    for (const role of quotas.roles()) this.consumed.set(role, (books.roles.subtreeAllocation(role) ?? []).slice());
    this.anyGuarantee = [...quotas.roles()].some((r) => quotas.vectors(r)?.hasGuarantees === true);
    for (const agent of books.agents.values()) {
      const free = agent.free;
      if (free.isEmpty()) continue;
      let reserved = false;
      for (const e of free.entries) if (e.reservations.length > 0) reserved = true;
      if (this.anyGuarantee && agent.active) addVec(this.available, reserved ? unreservedVector(totals, free) : totals.vector(free), 1);
      if (!reserved) continue;
      // Reservations nobody holds count towards the consumption of their role's quota ancestors.
      for (const e of free.entries) {
        if (e.reservations.length === 0 || e.kind !== 'SCALAR') continue;
        const s = totals.slot(e.name);
        if (s < 0) continue;
        const v: Vec = new Array<number>(s + 1).fill(0);
        v[s] = e.milli ?? 0;
        for (const q of quotas.chain(reservationRole(e))) addVec(this.consumed.get(q) as Vec, v, 1);
      }
    }
  }

  /** Unmet guarantee of a quota role (thousandths by slot). */
  private unmet(role: string): Vec {
    const g = this.quotas.vectors(role)?.guarantees ?? [];
    const c = this.consumed.get(role) ?? [];
    return g.map((x, i) => Math.max(0, x - (c[i] ?? 0)));
  }

  /** True when role or an ancestor has a guarantee not met yet (stage 1 candidates). */
  wantsGuarantee(role: string): boolean {
    let w = this.wantsCache.get(role);
    if (w === undefined) {
      w = this.quotas.chain(role).some((q) => this.unmet(q).some((x) => x > 0));
      this.wantsCache.set(role, w);
    }
    return w;
  }

  /** The top-most quota role among role and its ancestors (undefined when none has quota). */
  topQuotaRole(role: string): string | undefined {
    return this.quotas.chain(role)[0];
  }

  /** Whether anything here can constrain an offer to role (so the caller can skip `cap`). */
  constrains(role: string): boolean {
    return this.anyGuarantee || this.quotas.chain(role).length > 0;
  }

  /**
   * Most unreserved resources (thousandths by slot; Infinity = unbounded) role may receive now. Stage 1:
   * guaranteed scalars only towards unmet guarantees, other scalars as in stage 2. Stage 2: within limits
   * and leaving the headroom other roles' unmet guarantees need.
   */
  cap(role: string, stage: 1 | 2): readonly number[] {
    const key = `${stage}${role}`;
    let cap = this.capCache.get(key);
    if (cap === undefined) {
      cap = this.computeCap(role, stage);
      this.capCache.set(key, cap);
    }
    return cap;
  }

  private computeCap(role: string, stage: 1 | 2): Vec {
    const n = this.books.totals.names().length;
    const cap: Vec = new Array<number>(n).fill(Infinity);
    const chain = this.quotas.chain(role);
    for (const q of chain) {
      const lim = this.quotas.vectors(q)?.limits ?? [];
      const c = this.consumed.get(q) ?? [];
      for (let s = 0; s < lim.length; s++) {
        const l = lim[s] ?? Infinity;
        if (l !== Infinity) cap[s] = Math.min(cap[s] ?? Infinity, Math.max(0, l - (c[s] ?? 0)));
      }
    }
    const guaranteed: boolean[] = new Array<boolean>(n).fill(false);
    if (stage === 1) {
      // Guaranteed resources only towards the unmet guarantee (no headroom check, as before); the others
      // (e.g. mem for a cpus-only guarantee) as in stage 2, within limits and headroom, as upstream's
      // stage 1 does: an offer of guaranteed cpus without any mem would be of no use.
      const towards: Vec = new Array<number>(n).fill(0);
      for (const q of chain) {
        const u = this.unmet(q);
        const g = this.quotas.vectors(q)?.guarantees ?? [];
        for (let s = 0; s < u.length; s++) towards[s] = Math.max(towards[s] ?? 0, u[s] ?? 0);
        for (let s = 0; s < g.length; s++) if ((g[s] ?? 0) > 0) guaranteed[s] = true;
      }
      for (let s = 0; s < n; s++) if (guaranteed[s] === true) cap[s] = Math.min(cap[s] ?? Infinity, towards[s] ?? 0);
    }
    if (!this.anyGuarantee) return cap;
    // Headroom: free unreserved − Σ unmet guarantees of top quota roles, plus what this role's own unmet
    // guarantees would absorb (offering to it reduces the headroom it needs).
    const required: Vec = [];
    for (const q of this.quotas.roles()) {
      if (this.quotas.chain(q).length > 1) continue; // nested quota: counted in its top quota ancestor
      addVec(required, this.unmet(q), 1);
    }
    const own = chain[0] === undefined ? [] : this.unmet(chain[0]);
    for (let s = 0; s < required.length; s++) {
      const need = required[s] ?? 0;
      if (need <= 0 || guaranteed[s] === true) continue;
      const allowance = Math.max(0, (this.available[s] ?? 0) - need + (own[s] ?? 0));
      cap[s] = Math.min(cap[s] ?? Infinity, allowance);
    }
    return cap;
  }

  /** Records an offer to role: its unreserved part counts towards consumption and leaves the free pool. */
  charge(role: string, offered: Resources): void {
    const totals = this.books.totals;
    const unreserved = unreservedVector(totals, offered);
    this.wantsCache.clear();
    this.capCache.clear();
    for (const q of this.quotas.chain(role)) addVec(this.consumed.get(q) as Vec, unreserved, 1);
    if (this.anyGuarantee) addVec(this.available, unreserved, -1);
  }
}
