/**
 * `/master/roles` (spec §5.4) and the allocator metrics of spec §5.8 that come from role settings.
 * Listed roles: the `--roles` whitelist when set; otherwise every role with frameworks, reservations on
 * registered agents, a non-default weight or a quota, plus all their ancestors. Quantities are flat
 * `name → number` (scalars only) and include sub-roles. Quota consumption = reservations + unreserved
 * allocations (offers not counted).
 */
import { reservationRole, Resources } from '../../core/resources.js';
import { roleAndAncestors } from '../allocator/role-tree.js';
import type { Master } from '../master.js';

type Json = Record<string, unknown>;

function inSubtree(role: string, root: string): boolean {
  return role === root || role.startsWith(`${root}/`);
}

function scalars(r: Resources): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of r.entries) if (e.kind === 'SCALAR') out[e.name] = ((out[e.name] ?? 0) * 1000 + (e.milli ?? 0)) / 1000;
  return out;
}

function fromMap(q: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries([...q].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Resources reserved on registered agents. */
function reservedOnAgents(m: Master): Resources {
  let out = Resources.EMPTY;
  for (const a of m.agents.values()) if (a.state === 'registered' || a.state === 'disconnected') out = out.plus(a.total.reserved());
  return out;
}

/** Roles `/master/roles` lists (see the module comment). */
export function listedRoles(m: Master, reserved: Resources): string[] {
  if (m.config.roles !== undefined) return [...m.config.roles].sort();
  const names = new Set<string>();
  const add = (r: string): void => {
    if (r === '') return;
    for (const x of r === '*' ? ['*'] : roleAndAncestors(r)) names.add(x);
  };
  for (const fw of m.frameworks.values()) for (const r of fw.roles) add(r);
  for (const e of reserved.entries) add(reservationRole(e));
  for (const w of m.roleSettings.weightList()) add(w.role);
  for (const q of m.roleSettings.quotaList()) add(q.role);
  return [...names].sort();
}

/** `/master/roles`. */
export function rolesJson(m: Master): Json {
  const reservedAll = reservedOnAgents(m);
  const roles = listedRoles(m, reservedAll).map((name) => {
    let allocated = Resources.EMPTY;
    let offered = Resources.EMPTY;
    const fids: string[] = [];
    for (const fw of m.frameworks.values()) {
      if (fw.roles.some((r) => inSubtree(r, name))) fids.push(fw.id);
      for (const t of fw.tasks.values()) if (!t.released && inSubtree(t.role, name)) allocated = allocated.plus(t.resources);
    }
    for (const o of m.offers.values()) if (inSubtree(o.role, name)) offered = offered.plus(o.resources);
    const reserved = reservedAll.filter((e) => inSubtree(reservationRole(e), name));
    const consumed = reserved.unallocated().plus(allocated.unallocated().filter((e) => e.reservations.length === 0));
    const quota = m.roleSettings.quota(name);
    return {
      name,
      weight: m.roleSettings.weight(name),
      quota: {
        role: name,
        guarantee: quota === undefined ? {} : fromMap(quota.guarantees),
        limit: quota === undefined ? {} : fromMap(quota.limits),
        consumed: scalars(consumed),
      },
      resources: scalars(allocated.plus(offered)),
      allocated: scalars(allocated),
      offered: scalars(offered),
      reserved: scalars(reserved),
      frameworks: fids,
    };
  });
  return { roles };
}

/** Allocator metrics from role settings and the run timer (spec §5.8). */
export function allocatorMetrics(m: Master): Record<string, number> {
  const out: Record<string, number> = { ...m.allocationRunTimer.snapshot('allocator/mesos/allocation_run_ms') };
  for (const q of m.roleSettings.quotaList()) {
    for (const [r, v] of q.guarantees) out[`allocator/mesos/quota/roles/${q.role}/resources/${r}/guarantee`] = v;
    for (const [r, v] of q.limits) out[`allocator/mesos/quota/roles/${q.role}/resources/${r}/limit`] = v;
  }
  return out;
}
