/**
 * The placement pipeline: filters in funnel order (role, constraints, scalar resources, ports); the first
 * rejection is the offer's reason. An accepted offer yields the TaskInfo resources (carved out of the offer in
 * its own wire format) and the host ports, and shrinks the slot. Pure apart from the seeded Rng.
 */
import type { OfferJson, ResourceJson } from '../../api/mesos/common.js';
import { Resources, fromWire, mergeRanges, type WireResource } from '../../core/resources.js';
import type { Rng } from '../../core/rng.js';
import { offerResources, taskResourcesFromOffer } from '../../scheduler/index.js';
import { constraintsFilter } from './constraints/index.js';
import { offerFields } from './fields.js';
import { pickHostPorts, portsFilter } from './host-ports.js';
import { resourcesFilter } from './resources-filter.js';
import { roleFilter } from './role-filter.js';
import type { OfferSlot, PlacementFilter, PlacementRequest, RejectReason } from './types.js';

export const DEFAULT_FILTERS: readonly PlacementFilter[] = [roleFilter, constraintsFilter, resourcesFilter, portsFilter];

export type PlacementResult =
  | { readonly ok: true; readonly resources: ResourceJson[]; readonly hostPorts: number[] }
  | { readonly ok: false; readonly reason: RejectReason; readonly filter: string };

/** A fresh slot for an offer. */
export function slotOf(offer: OfferJson): OfferSlot {
  return { offer, hostname: offer.hostname, agentId: offer.agent_id.value, fields: offerFields(offer), remaining: offerResources(offer) };
}

/** The resources one instance of the app asks for, with the given host ports. */
export function wantedResources(req: PlacementRequest, hostPorts: readonly number[]): Resources {
  const { app } = req;
  let r = Resources.EMPTY;
  for (const name of ['cpus', 'mem', 'disk', 'gpus'] as const) if (app[name] > 0) r = r.plus(Resources.scalar(name, app[name]));
  if (hostPorts.length > 0) {
    r = r.plus(Resources.of([{ name: 'ports', kind: 'RANGES', ranges: mergeRanges(hostPorts.map((p) => [p, p] as const)), reservations: [] }]));
  }
  return r;
}

/** Runs the filters; on success carves the instance out of the slot (mutating `slot.remaining`). */
export function placeInSlot(req: PlacementRequest, slot: OfferSlot, rng: Rng, filters: readonly PlacementFilter[] = DEFAULT_FILTERS): PlacementResult {
  for (const f of filters) {
    const reason = f.check(req, slot);
    if (reason !== undefined) return { ok: false, reason, filter: f.name };
  }
  const hostPorts = pickHostPorts(req.app, slot.remaining.ranges('ports'), rng);
  if (hostPorts === undefined) return { ok: false, reason: 'InsufficientPorts', filter: 'ports' };
  const wire = slot.offer.resources as WireResource[];
  const format = wire.some((w) => w.role !== undefined) ? 'pre' : 'post';
  const withAllocation = slot.offer.allocation_info !== undefined || wire.some((w) => w.allocation_info !== undefined);
  const view: OfferJson = { ...slot.offer, resources: slot.remaining.toWire(format, withAllocation) };
  const resources = taskResourcesFromOffer(view, wantedResources(req, hostPorts), req.app.role);
  if (resources === undefined) return { ok: false, reason: 'InsufficientCpus', filter: 'resources' };
  slot.remaining = slot.remaining.minus(fromWire(resources as WireResource[]));
  return { ok: true, resources, hostPorts };
}
