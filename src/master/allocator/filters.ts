/**
 * Refuse filters (spec §6.4): keyed by (framework, role, agent), each stores the refused resources and
 * an expiry. A candidate is filtered while some unexpired filter's resources contain it. Expired filters
 * are dropped lazily when looked at or counted.
 */
import type { AgentId, FrameworkId } from '../../core/ids.js';
import type { Resources } from '../../core/resources.js';

interface RefuseFilter {
  readonly role: string;
  readonly resources: Resources;
  /** Active while now < expiresAt. */
  readonly expiresAt: number;
}

function key(role: string, agentId: AgentId): string {
  return `${role}\u0000${agentId}`;
}

/** All refuse filters of one allocator. */
export class RefuseFilters {
  private readonly byFramework = new Map<FrameworkId, Map<string, RefuseFilter[]>>();

  /** Installs a filter; `resources` carry the allocation role `role`. */
  add(frameworkId: FrameworkId, role: string, agentId: AgentId, resources: Resources, expiresAt: number): void {
    let m = this.byFramework.get(frameworkId);
    if (m === undefined) {
      m = new Map();
      this.byFramework.set(frameworkId, m);
    }
    const k = key(role, agentId);
    const list = m.get(k) ?? [];
    list.push({ role, resources, expiresAt });
    m.set(k, list);
  }

  /** True when an unexpired filter of (framework, role, agent) contains candidate (marked with role). */
  isFiltered(frameworkId: FrameworkId, role: string, agentId: AgentId, candidate: Resources, now: number): boolean {
    const m = this.byFramework.get(frameworkId);
    if (m === undefined) return false;
    const k = key(role, agentId);
    const list = m.get(k);
    if (list === undefined) return false;
    const live = list.filter((f) => now < f.expiresAt);
    if (live.length === 0) {
      m.delete(k);
      if (m.size === 0) this.byFramework.delete(frameworkId);
      return false;
    }
    if (live.length !== list.length) m.set(k, live);
    return live.some((f) => f.resources.contains(candidate));
  }

  /** Drops the framework's filters for the given roles (REVIVE). */
  clearRoles(frameworkId: FrameworkId, roles: ReadonlySet<string>): void {
    const m = this.byFramework.get(frameworkId);
    if (m === undefined) return;
    for (const [k, list] of m) if (list.some((f) => roles.has(f.role))) m.delete(k);
    if (m.size === 0) this.byFramework.delete(frameworkId);
  }

  clearFramework(frameworkId: FrameworkId): void {
    this.byFramework.delete(frameworkId);
  }

  clearAgent(agentId: AgentId): void {
    const suffix = `\u0000${agentId}`;
    for (const [fid, m] of this.byFramework) {
      for (const k of [...m.keys()]) if (k.endsWith(suffix)) m.delete(k);
      if (m.size === 0) this.byFramework.delete(fid);
    }
  }

  /** Unexpired filters per role at `now` (expired ones are dropped). */
  countByRole(now: number): Map<string, number> {
    const out = new Map<string, number>();
    for (const [fid, m] of this.byFramework) {
      for (const [k, list] of m) {
        const live = list.filter((f) => now < f.expiresAt);
        if (live.length === 0) m.delete(k);
        else if (live.length !== list.length) m.set(k, live);
        for (const f of live) out.set(f.role, (out.get(f.role) ?? 0) + 1);
      }
      if (m.size === 0) this.byFramework.delete(fid);
    }
    return out;
  }
}
