/**
 * Scalar quantities as plain numeric vectors, for the allocator's hot path. A `ClusterTotals` gives each
 * scalar resource name a slot; a vector holds thousandths (as the Resources algebra) by slot, missing
 * trailing slots meaning 0. One ClusterTotals is shared by every sorter of an allocator, so an agent's total
 * is recorded once, not once per sorter, and vectors computed once per offer serve every level.
 */
import type { AgentId } from '../../../core/ids.js';
import type { ResourceEntry, Resources } from '../../../core/resources.js';
import { toMilli } from '../../../core/resources.js';
import type { Quantities } from './sorter.js';

/** Thousandths by slot (see ClusterTotals). Never negative. */
export type Vec = number[];

/** into += sign × from, clamped at 0 slot by slot. */
export function addVec(into: Vec, from: readonly number[], sign: 1 | -1): void {
  for (let i = 0; i < from.length; i++) {
    const v = from[i] ?? 0;
    if (v === 0) continue;
    const next = (into[i] ?? 0) + sign * v;
    into[i] = next > 0 ? next : 0;
  }
}

/** True when every slot of v is 0. */
export function isZeroVec(v: readonly number[]): boolean {
  for (const x of v) if (x !== 0) return false;
  return true;
}

/** Slot registry and cluster totals shared by the sorters of one allocator. */
export class ClusterTotals {
  private readonly slots = new Map<string, number>();
  private readonly slotNames: string[] = [];
  private readonly agents = new Map<AgentId, Vec>();
  /** Sum of every agent's total. */
  readonly total: Vec = [];
  /** Bumped on every change of the totals: sorters recompute shares when it moved. */
  version = 0;

  constructor(private readonly excluded: ReadonlySet<string> = new Set()) {}

  /** Slot of a resource name (registered on first use); -1 for names left out of fair sharing. */
  slot(name: string): number {
    if (this.excluded.has(name)) return -1;
    let s = this.slots.get(name);
    if (s === undefined) {
      s = this.slotNames.length;
      this.slots.set(name, s);
      this.slotNames.push(name);
    }
    return s;
  }

  /** Names by slot. */
  names(): readonly string[] {
    return this.slotNames;
  }

  /** Scalar parts of resources as a vector (thousandths), excluded names left out. */
  vector(resources: Resources): Vec {
    const entries = resources.entries;
    let out: Vec | undefined;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as ResourceEntry;
      if (e.kind !== 'SCALAR' || e.milli === undefined) continue;
      const s = this.slot(e.name);
      if (s < 0) continue;
      out ??= new Array<number>(this.slotNames.length).fill(0);
      if (s >= out.length) out.push(...new Array<number>(s + 1 - out.length).fill(0));
      out[s] = (out[s] as number) + e.milli;
    }
    return out ?? [];
  }

  /** Vector of natural-unit quantities. */
  fromQuantities(q: Quantities): Vec {
    const out: Vec = [];
    for (const [name, v] of q) {
      const s = this.slot(name);
      if (s < 0) continue;
      while (out.length <= s) out.push(0);
      out[s] = (out[s] ?? 0) + toMilli(v);
    }
    return out;
  }

  /** Natural-unit quantities of a vector (zero slots left out). */
  toQuantities(v: readonly number[]): Map<string, number> {
    const out = new Map<string, number>();
    for (let i = 0; i < v.length; i++) if ((v[i] ?? 0) > 0) out.set(this.slotNames[i] as string, (v[i] ?? 0) / 1000);
    return out;
  }

  /** Sets (replaces) one agent's total; undefined forgets the agent. Idempotent. */
  setAgent(agentId: AgentId, total: Vec | undefined): void {
    const old = this.agents.get(agentId);
    if (old !== undefined) addVec(this.total, old, -1);
    if (total === undefined) this.agents.delete(agentId);
    else {
      this.agents.set(agentId, total);
      addVec(this.total, total, 1);
    }
    this.version++;
  }

  /** Dominant share of an allocation: max over slots of alloc / total. */
  dominantShare(alloc: readonly number[]): number {
    let share = 0;
    for (let i = 0; i < alloc.length; i++) {
      const a = alloc[i] ?? 0;
      const t = this.total[i] ?? 0;
      if (a <= 0 || t <= 0) continue;
      const s = a / t;
      if (s > share) share = s;
    }
    return share;
  }
}
