/** The constraint operators by name, and the filter that applies every constraint of the app. */
import type { ConstraintCheck, OfferSlot, PlacementFilter, PlacementRequest } from '../types.js';
import type { Operator } from '../../model/constraints.js';
import { unique } from './unique.js';
import { cluster } from './cluster.js';
import { groupBy } from './group-by.js';
import { like } from './like.js';
import { unlike } from './unlike.js';
import { maxPer } from './max-per.js';
import { is } from './is.js';

export const CONSTRAINT_CHECKS: Readonly<Record<Operator, ConstraintCheck>> = {
  UNIQUE: unique,
  CLUSTER: cluster,
  GROUP_BY: groupBy,
  LIKE: like,
  UNLIKE: unlike,
  MAX_PER: maxPer,
  IS: is,
};

/** `hostname` and `@hostname` are the same field. */
function fieldName(f: string): string {
  return f === '@hostname' ? 'hostname' : f;
}

/** True when the offer satisfies every constraint of the request's app. */
export function meetsConstraints(req: PlacementRequest, slot: OfferSlot): boolean {
  for (const [field, op, value] of req.app.constraints) {
    const check = CONSTRAINT_CHECKS[op as Operator] as ConstraintCheck | undefined;
    if (check === undefined) return false;
    const f = fieldName(field);
    const ok = check({ offerValue: slot.fields[f], value, placed: req.placed.map((p) => p[f]), instances: req.app.instances });
    if (!ok) return false;
  }
  return true;
}

export const constraintsFilter: PlacementFilter = {
  name: 'constraints',
  check: (req, slot) => (meetsConstraints(req, slot) ? undefined : 'UnfulfilledConstraint'),
};
