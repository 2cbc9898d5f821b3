/**
 * Offer matching for simple frameworks (mesos-execute's rule, spec §6.12): an offer fits a task when it
 * contains the task's resources once reservations and allocation roles are ignored; the task's resources are
 * then taken from the offer, reserved-for-role first and unreserved next, keeping each piece's reservation and
 * allocation role so the master can match them against the offer exactly. Pure functions.
 */
import type { OfferJson, ResourceJson } from '../api/mesos/common.js';
import { Resources, fromWire, reservationRole, subtractRanges, type ResourceEntry, type WireResource } from '../core/resources.js';

/** The offer's resources as a Resources bag (invalid wire resources throw INVALID_REQUEST). */
export function offerResources(offer: OfferJson): Resources {
  return fromWire(offer.resources as WireResource[]);
}

/** The same quantities with no reservation and no allocation role. */
export function flatten(r: Resources): Resources {
  return r.map((e) => {
    const { allocationRole: _drop, ...rest } = e;
    return { ...rest, reservations: [] };
  });
}

/** True when the offer holds at least `wanted` (reservations and allocation_info ignored). */
export function offerContains(offer: OfferJson, wanted: Resources): boolean {
  return flatten(offerResources(offer)).contains(flatten(wanted));
}

/**
 * TaskInfo resources for `wanted` carved out of the offer for `role`: resources reserved to `role` first,
 * then unreserved ones. Written in the offer's own format (pre-refinement `role` when the offer used it,
 * `reservations` otherwise) with `allocation_info` when the offer carried it. Undefined if it does not fit.
 */
export function taskResourcesFromOffer(offer: OfferJson, wanted: Resources, role = '*'): ResourceJson[] | undefined {
  const offered = offerResources(offer);
  const candidates = [
    ...offered.filter((e) => e.reservations.length > 0 && reservationRole(e) === role).entries,
    ...offered.filter((e) => e.reservations.length === 0).entries,
  ];
  const taken: ResourceEntry[] = [];
  for (const want of flatten(wanted).entries) {
    let remaining: ResourceEntry | undefined = want;
    for (const have of candidates) {
      if (remaining === undefined) break;
      if (have.name !== want.name || have.kind !== want.kind) continue;
      const step = takeFrom(have, remaining);
      if (step.take !== undefined) taken.push(step.take);
      remaining = step.rest;
    }
    if (remaining !== undefined) return undefined;
  }
  const wire = offer.resources as WireResource[];
  const format = wire.some((r) => r.role !== undefined) ? 'pre' : 'post';
  const withAllocation = offer.allocation_info !== undefined || wire.some((r) => r.allocation_info !== undefined);
  // Reservation labels pass through from the offer unchanged, so the wire shape is the offer's own.
  return Resources.of(taken).toWire(format, withAllocation) as ResourceJson[];
}

interface Step {
  /** What is taken from `have` (its identity, the overlapping amount); undefined when nothing overlaps. */
  readonly take: ResourceEntry | undefined;
  /** What is still wanted; undefined when satisfied. */
  readonly rest: ResourceEntry | undefined;
}

function takeFrom(have: ResourceEntry, want: ResourceEntry): Step {
  switch (want.kind) {
    case 'SCALAR': {
      const milli = Math.min(have.milli ?? 0, want.milli ?? 0);
      const left = (want.milli ?? 0) - milli;
      return { take: milli > 0 ? { ...have, milli } : undefined, rest: left > 0 ? { ...want, milli: left } : undefined };
    }
    case 'RANGES': {
      const wanted = want.ranges ?? [];
      const overlap = subtractRanges(wanted, subtractRanges(wanted, have.ranges ?? []));
      const left = subtractRanges(wanted, overlap);
      return { take: overlap.length > 0 ? { ...have, ranges: overlap } : undefined, rest: left.length > 0 ? { ...want, ranges: left } : undefined };
    }
    case 'SET': {
      const haveItems = new Set(have.items ?? []);
      const overlap = (want.items ?? []).filter((i) => haveItems.has(i));
      const left = (want.items ?? []).filter((i) => !haveItems.has(i));
      return { take: overlap.length > 0 ? { ...have, items: overlap } : undefined, rest: left.length > 0 ? { ...want, items: left } : undefined };
    }
  }
}
