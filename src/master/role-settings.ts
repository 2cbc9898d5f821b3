/**
 * Role weights and quotas of the master (spec §6.5, `/weights`, `/quota`): the durable configuration the
 * allocator enforces. Owned by the Master actor. Every change is written to the registry first and only
 * then applied to the allocator, so a caller that awaited it knows it survives a restart.
 *
 * Weights from `--weights` are the defaults; weights stored in the registry (set through `/weights`)
 * override them after a restart, as upstream.
 */
import type { Allocator } from './allocator/allocator.js';
import type { Registry, RegistrySnapshot } from './registry.js';

/** A quota in natural units by resource name; empty maps mean no guarantee / no limit. */
export interface RoleQuota {
  readonly role: string;
  readonly guarantees: ReadonlyMap<string, number>;
  readonly limits: ReadonlyMap<string, number>;
}

/** Parses `--weights` (`role=weight,...`); throws an Error with a readable message on bad input. */
export function parseWeightsFlag(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of text.split(',')) {
    const p = part.trim();
    if (p === '') continue;
    const i = p.lastIndexOf('=');
    const role = p.slice(0, i).trim();
    const weight = Number(p.slice(i + 1).trim());
    if (i <= 0 || !Number.isFinite(weight) || weight <= 0) throw new Error(`Invalid weight '${p}' in --weights: expected role=<positive number>`);
    out.set(role, weight);
  }
  return out;
}

/** What an operator changed: weights of some roles, or one role's quota (empty maps = removed). */
export type RoleSettingsChange = { readonly kind: 'weights'; readonly roles: readonly string[] } | { readonly kind: 'quota'; readonly quota: RoleQuota };

/** Weights and quotas; see the module comment. */
export class RoleSettings {
  private readonly weights = new Map<string, number>();
  private readonly quotas = new Map<string, RoleQuota>();
  /** Called after an operator change was applied (not on recovery): the master rescinds offers there. */
  onChange: ((change: RoleSettingsChange) => void) | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly allocator: Allocator,
    private readonly now: () => number,
    flagWeights: ReadonlyMap<string, number> = new Map(),
  ) {
    for (const [role, w] of flagWeights) this.weights.set(role, w);
  }

  /** Applies what the registry holds (call once, from Master.recover). */
  recover(snap: RegistrySnapshot): void {
    for (const w of snap.weights) if (w.weight > 0) this.weights.set(w.role, w.weight);
    if (this.weights.size > 0) this.allocator.apply({ type: 'weightsUpdated', weights: new Map(this.weights) }, this.now());
    for (const q of snap.quotas) {
      this.applyQuota({ role: q.role, guarantees: new Map(Object.entries(q.guarantees)), limits: new Map(Object.entries(q.limits)) });
    }
  }

  /** Weight of a role (1 unless set). */
  weight(role: string): number {
    return this.weights.get(role) ?? 1;
  }

  /** Explicitly set weights, sorted by role. */
  weightList(): { role: string; weight: number }[] {
    return [...this.weights].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([role, weight]) => ({ role, weight }));
  }

  /** Sets weights (each > 0, validated by the caller); durable before applied. */
  async setWeights(list: readonly { role: string; weight: number }[]): Promise<void> {
    await Promise.all(list.map((w) => this.registry.putWeight({ role: w.role, weight: w.weight })));
    for (const w of list) this.weights.set(w.role, w.weight);
    this.allocator.apply({ type: 'weightsUpdated', weights: new Map(list.map((w) => [w.role, w.weight])) }, this.now());
    this.onChange?.({ kind: 'weights', roles: list.map((w) => w.role) });
  }

  quota(role: string): RoleQuota | undefined {
    return this.quotas.get(role);
  }

  /** Every quota, sorted by role. */
  quotaList(): RoleQuota[] {
    return [...this.quotas.values()].sort((a, b) => (a.role < b.role ? -1 : a.role > b.role ? 1 : 0));
  }

  /** Sets a role's quota; durable before applied. */
  async setQuota(q: RoleQuota): Promise<void> {
    await this.registry.putQuota({ role: q.role, guarantees: Object.fromEntries(q.guarantees), limits: Object.fromEntries(q.limits) });
    this.applyQuota(q);
    this.onChange?.({ kind: 'quota', quota: q });
  }

  /** Removes a role's quota; durable before applied. */
  async removeQuota(role: string): Promise<void> {
    await this.registry.removeQuota(role);
    this.quotas.delete(role);
    this.allocator.apply({ type: 'quotaUpdated', role, guarantees: new Map(), limits: new Map() }, this.now());
    this.onChange?.({ kind: 'quota', quota: { role, guarantees: new Map(), limits: new Map() } });
  }

  private applyQuota(q: RoleQuota): void {
    this.quotas.set(q.role, q);
    this.allocator.apply({ type: 'quotaUpdated', role: q.role, guarantees: q.guarantees, limits: q.limits }, this.now());
  }
}
