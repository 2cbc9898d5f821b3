/**
 * Rescinding outstanding offers when weights or quotas change (spec §6.3 "rescind triggers"), so the
 * next cycle re-divides the cluster under the new settings instead of waiting for frameworks to decline.
 * Runs on the Master actor, after the change is durable and applied to the allocator. Rescinds install no
 * refuse filter (as upstream's `recoverResources(..., None())`).
 *
 * - Weights (upstream `WeightsHandler::rescindOffers`): every outstanding offer is rescinded when one of the
 *   updated roles (or, hierarchical roles, one of its sub-roles) has frameworks.
 * - Quota limits: offers to the role's subtree are rescinded when its consumption plus the unreserved
 *   resources it is offered exceed a limit (offers are not consumption, but accepting them would be).
 * - Quota guarantees (upstream `QuotaHandler::rescindOffers`): offers of unreserved resources to frameworks
 *   outside the role's subtree are rescinded, agent by agent, until what they free covers the unmet part.
 */
import type { Master } from './master.js';
import type { RoleQuota } from './role-settings.js';
import { rolesJson } from './http/roles-json.js';
import type { OfferRec } from './types.js';

function inSubtree(role: string, top: string): boolean {
  return role === top || role.startsWith(`${top}/`);
}

/** After `/weights` or UPDATE_WEIGHTS. */
export function rescindForWeights(m: Master, roles: readonly string[]): void {
  // Upstream looks at the updated roles only; with hierarchical roles a parent's weight moves its subtree too.
  const active = [...m.frameworks.values()].some((fw) => fw.roles.some((r) => roles.some((top) => inSubtree(r, top))));
  if (!active) return;
  for (const o of [...m.offers.values()]) m.rescindOffer(o.id, { notify: true });
  m.triggerAllocation();
}

/** After `/quota` or UPDATE_QUOTA set (or removed: empty maps) a role's quota. */
export function rescindForQuota(m: Master, q: RoleQuota): void {
  const roles = rolesJson(m)['roles'] as { name: string; quota: { consumed: Record<string, number> } }[];
  const consumed = roles.find((r) => r.name === q.role)?.quota.consumed ?? {};
  const mine = [...m.offers.values()].filter((o) => inSubtree(o.role, q.role));
  let rescinded = false;
  const rescind = (list: readonly OfferRec[]): void => {
    for (const o of list) m.rescindOffer(o.id, { notify: true });
    if (list.length > 0) rescinded = true;
  };
  for (const [name, limit] of q.limits) {
    const offered = mine.reduce((sum, o) => sum + o.resources.unreserved().scalar(name), 0);
    if ((consumed[name] ?? 0) + offered > limit + 1e-9) {
      rescind(mine);
      break;
    }
  }
  const unmet = new Map<string, number>();
  for (const [name, g] of q.guarantees) {
    const need = g - (consumed[name] ?? 0);
    if (need > 1e-9) unmet.set(name, need);
  }
  if (unmet.size > 0) {
    const others = [...m.offers.values()].filter((o) => !inSubtree(o.role, q.role)).sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
    const picked: OfferRec[] = [];
    for (const o of others) {
      if ([...unmet.values()].every((v) => v <= 1e-9)) break;
      const free = o.resources.unreserved();
      if (![...unmet.keys()].some((name) => free.scalar(name) > 0)) continue;
      picked.push(o);
      for (const [name, v] of unmet) unmet.set(name, v - free.scalar(name));
    }
    rescind(picked);
  }
  if (rescinded) m.triggerAllocation();
}
