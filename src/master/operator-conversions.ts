/**
 * Operator RESERVE/UNRESERVE/CREATE/DESTROY (`/reserve`, `/unreserve`, `/create-volumes`,
 * `/destroy-volumes`, spec §5.1), part of the Master actor: validate, check the agent has the resources
 * (outside tasks), rescind offers holding them (with a 5 s refuse filter, as upstream), then commit the
 * conversion to the agent, its checkpoint, the registry and the allocator.
 */
import { asAgentId } from '../core/ids.js';
import { Resources } from '../core/resources.js';
import type { Master } from './master.js';
import { applyConversion, convert, type ConversionKind } from './offer-operations.js';
import { commitConversions, volumesInUseOn } from './resource-conversions.js';

/** Outcome of an operator conversion: HTTP status (202, 400, 409) and a text body for errors. */
export interface OperatorOutcome {
  readonly status: 202 | 400 | 409;
  readonly message: string;
}

const OPERATOR_REFUSE_MS = 5000;

/** Applies one operator conversion to an agent. `principal` is the authenticated operator, if any. */
export function operatorConvert(
  m: Master,
  agentIdText: string,
  kind: ConversionKind,
  wire: readonly unknown[],
  opts: { principal?: string; source?: readonly unknown[] } = {},
): OperatorOutcome {
  const agent = m.agents.get(asAgentId(agentIdText));
  if (agent === undefined || agent.state !== 'registered') return { status: 400, message: 'No agent found with specified ID' };
  if (wire.some((r) => typeof r === 'object' && r !== null && 'allocation_info' in r)) {
    return { status: 400, message: 'Resources in an operator request must not carry allocation_info' };
  }
  const v = convert(kind, wire, { principal: opts.principal, agentTotal: agent.total, volumesInUse: volumesInUseOn(m, agent.id) }, opts.source);
  if (!v.ok) return { status: 400, message: v.message };
  const consumed = v.conversion.consumed.unallocated();
  let used = Resources.EMPTY;
  for (const fw of m.frameworks.values()) {
    for (const t of fw.tasks.values()) {
      const r = t.agentId === agent.id ? m.usedResources(t) : undefined;
      if (r !== undefined) used = used.plus(r.unallocated());
    }
  }
  used = used.plus(m.executorResources(agent.id).unallocated());
  if (!agent.total.minus(used).contains(consumed)) {
    return { status: 409, message: `Agent ${agent.id} does not have enough resources for this operation: ${consumed.toString()}` };
  }
  // Rescind offers on the agent until what nobody holds covers the operation.
  const offers = [...m.offers.values()].filter((o) => o.agentId === agent.id);
  let offered = offers.reduce((acc, o) => acc.plus(o.resources.unallocated()), Resources.EMPTY);
  for (const o of offers) {
    if (agent.total.minus(used).minus(offered).contains(consumed)) break;
    m.rescindOffer(o.id, { notify: true, refuseMs: OPERATOR_REFUSE_MS });
    offered = offered.minus(o.resources.unallocated());
  }
  if (applyConversion(agent.total, v.conversion) === undefined || !commitConversions(m, agent, [v.conversion])) {
    return { status: 409, message: `Agent ${agent.id} does not have enough resources for this operation` };
  }
  m.allocator.apply({ type: 'agentResourcesConverted', agentId: agent.id, consumed, produced: v.conversion.produced.unallocated() }, m.clock.now());
  m.triggerAllocation();
  return { status: 202, message: '' };
}
