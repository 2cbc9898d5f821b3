/** Role filter: with acceptedResourceRoles, the offer must hold resources of one of those roles (`*` = unreserved). */
import type { PlacementFilter } from './types.js';
import { reservationRole } from '../../core/resources.js';

export const roleFilter: PlacementFilter = {
  name: 'role',
  check: (req, slot) => {
    const roles = req.app.acceptedResourceRoles;
    if (roles === undefined) return undefined;
    const ok = slot.remaining.entries.some((e) => (e.reservations.length === 0 ? roles.includes('*') : roles.includes(reservationRole(e))));
    return ok ? undefined : 'UnfulfilledRole';
  },
};
