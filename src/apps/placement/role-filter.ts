/**
 * Role filter. A multi-role offer is allocated to one role (`allocation_info`): an app uses only offers
 * allocated to its own role, as Marathon ≥ 1.9 does — otherwise a `dev` app would run on (and be accounted
 * to) another role's share. Offers without allocation_info (pre-multi-role masters) pass. Then, with
 * acceptedResourceRoles, the offer must hold resources of one of those roles (`*` = unreserved).
 */
import type { OfferJson } from '../../api/mesos/common.js';
import type { PlacementFilter } from './types.js';
import { reservationRole } from '../../core/resources.js';

/** The role the offer is allocated to, from the offer or its first resource; undefined for old-style offers. */
function allocationRole(offer: OfferJson): string | undefined {
  if (offer.allocation_info !== undefined) return offer.allocation_info.role;
  const first = offer.resources[0] as { allocation_info?: { role?: string } } | undefined;
  return first?.allocation_info?.role;
}

export const roleFilter: PlacementFilter = {
  name: 'role',
  check: (req, slot) => {
    const allocated = allocationRole(slot.offer);
    if (allocated !== undefined && allocated !== req.app.role) return 'UnfulfilledRole';
    const roles = req.app.acceptedResourceRoles;
    if (roles === undefined) return undefined;
    const ok = slot.remaining.entries.some((e) => (e.reservations.length === 0 ? roles.includes('*') : roles.includes(reservationRole(e))));
    return ok ? undefined : 'UnfulfilledRole';
  },
};
