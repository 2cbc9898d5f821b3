/**
 * The wire shape of an offer (spec §2.8): single-role frameworks get no allocation_info and the
 * pre-refinement `role` format; MULTI_ROLE frameworks get allocation_info on the offer and on resources;
 * RESERVATION_REFINEMENT frameworks get the post-refinement format. `url.address.ip` is always present
 * (mesos-framework needs it).
 */
import type { OfferJson } from '../api/mesos/common.js';
import type { FiltersJson } from '../api/mesos/common.js';
import { hasCapability, executorIdOf } from './statuses.js';
import type { AgentRec, FrameworkRec, OfferRec, TaskRec } from './types.js';

/** The Offer JSON for one framework (shape depends on its capabilities). */
export function buildOffer(offer: OfferRec, agent: AgentRec, fw: FrameworkRec, tasks: readonly TaskRec[]): OfferJson {
  const multiRole = hasCapability(fw.info, 'MULTI_ROLE');
  const refinement = hasCapability(fw.info, 'RESERVATION_REFINEMENT');
  const json: OfferJson = {
    id: { value: offer.id },
    framework_id: { value: fw.id },
    agent_id: { value: agent.id },
    hostname: agent.info.hostname,
    url: { scheme: 'http', address: { hostname: agent.info.hostname, ip: agent.ip, port: agent.port }, path: '/slave(1)' },
    resources: offer.resources.toWire(refinement ? 'post' : 'pre', multiRole),
  };
  if (multiRole) json.allocation_info = { role: offer.role };
  const attributes = agent.info.attributes ?? [];
  if (attributes.length > 0) json.attributes = attributes;
  const executorIds = [...new Set(tasks.filter((t) => t.info.executor !== undefined).map(executorIdOf))];
  if (executorIds.length > 0) json.executor_ids = executorIds.map((value) => ({ value }));
  return json;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;
const DEFAULT_REFUSE_MS = 5000;

/** Refuse filter length from Filters (spec §6.4): unset 5 s, 0 none, negative/invalid 5 s, capped at 365 days. */
export function refuseMsOf(filters: FiltersJson | undefined): number {
  const s = filters?.refuse_seconds;
  if (s === undefined) return DEFAULT_REFUSE_MS;
  if (!Number.isFinite(s) && s > 0) return YEAR_MS;
  if (Number.isNaN(s) || s < 0) return DEFAULT_REFUSE_MS;
  return Math.min(s * 1000, YEAR_MS);
}
