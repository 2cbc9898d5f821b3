/**
 * Committing resource conversions (RESERVE, UNRESERVE, CREATE, DESTROY) to an agent, part of the Master
 * actor: the agent's total changes, the agent checkpoints the new total (CHECKPOINT_RESOURCES, so it
 * survives agent and master restarts and comes back as `checkpointed_resources`), and the registry
 * records it. The allocator is told by the caller (offer operations and operator endpoints differ in
 * what the allocator holds at that point).
 */
import type { ResourceJson } from '../api/mesos/common.js';
import type { OfferOperationJson } from '../api/mesos/scheduler.js';
import { isTerminalState } from '../api/mesos/common.js';
import { errorMessage } from '../core/errors.js';
import type { AgentId } from '../core/ids.js';
import { fromWire, type Resources, type WireResource } from '../core/resources.js';
import { injectAllocationRole } from './launch-validation.js';
import { applyConversion, convert, volumeKeys, type Conversion, type ConversionKind } from './offer-operations.js';
import type { Master } from './master.js';
import type { AgentRec, FrameworkRec } from './types.js';

/** Volume keys (role, persistence id) used by live tasks on an agent. */
export function volumesInUseOn(m: Master, agentId: AgentId): Set<string> {
  const out = new Set<string>();
  for (const fw of m.frameworks.values()) {
    for (const t of fw.tasks.values()) {
      if (t.agentId !== agentId || isTerminalState(t.state)) continue;
      for (const k of volumeKeys(t.resources)) out.add(k);
    }
  }
  return out;
}

/**
 * Applies conversions (already validated against resources the caller owns) to the agent's total, sends
 * the new total to the agent to checkpoint, and records it in the registry. Returns false (nothing
 * changed) if the total lacks what a conversion consumes.
 */
export function commitConversions(m: Master, agent: AgentRec, conversions: readonly Conversion[]): boolean {
  let total = agent.total;
  for (const c of conversions) {
    const next = applyConversion(total, c);
    if (next === undefined) return false;
    total = next;
  }
  agent.total = total;
  const wire = total.toWire('post', false) as ResourceJson[];
  m.sendToAgent(agent, { type: 'CHECKPOINT_RESOURCES', checkpoint_resources: { resources: wire } });
  m.registry
    .putAgent({
      id: agent.id,
      info: agent.info,
      registered_time: agent.registeredTime,
      state: agent.state === 'unreachable' ? 'unreachable' : 'admitted',
      checkpointed_resources: wire,
      ...(agent.unreachableTime !== undefined ? { unreachable_time: agent.unreachableTime } : {}),
    })
    .catch((e: unknown) => m.log.error({ agentId: agent.id, err: errorMessage(e) }, 'registry write failed'));
  return true;
}

/** The conversion kinds an ACCEPT can carry besides launches. */
export function isConversionOp(type: string | undefined): type is ConversionKind {
  return type === 'RESERVE' || type === 'UNRESERVE' || type === 'CREATE' || type === 'DESTROY';
}

/** Resources of one conversion operation of an ACCEPT, as the framework wrote them. */
function operationResources(op: OfferOperationJson, kind: ConversionKind): readonly ResourceJson[] | undefined {
  switch (kind) {
    case 'RESERVE':
      return op.reserve?.resources;
    case 'UNRESERVE':
      return op.unreserve?.resources;
    case 'CREATE':
      return op.create?.volumes;
    case 'DESTROY':
      return op.destroy?.volumes;
  }
}

/**
 * Conversions of one ACCEPT (spec §2.5 step 3): each operation is validated and applied in order to the
 * pooled offered resources; a failed one is dropped with a log line. `commit` then applies them to the
 * agent, the allocator and the agent's checkpoint.
 */
export class OfferConversions {
  readonly applied: Conversion[] = [];

  constructor(
    private readonly m: Master,
    private readonly fw: FrameworkRec,
    private readonly agent: AgentRec | undefined,
    private readonly role: string,
  ) {}

  /** Applies op to pool; returns the new pool (unchanged when the operation is invalid). */
  apply(op: OfferOperationJson, kind: ConversionKind, pool: Resources): Resources {
    const drop = (message: string): Resources => {
      this.m.log.warn({ frameworkId: this.fw.id, operation: kind, message }, 'offer operation dropped');
      return pool;
    };
    if (this.agent === undefined) return drop('agent is gone');
    if (op.id !== undefined) {
      // Operation feedback needs RESOURCE_PROVIDER, which Agora agents do not have (spec §2.5).
      operationError(this.m, this.fw, op, this.agent.id, `Operation requested feedback, but agent ${this.agent.id} does not have the required RESOURCE_PROVIDER capability`);
      return drop('operation feedback is not supported');
    }
    let total = this.agent.total;
    for (const c of this.applied) total = applyConversion(total, c) ?? total;
    const wire = injectAllocationRole(operationResources(op, kind), this.role);
    const ctx = { principal: this.fw.info.principal, allocationRole: this.role, agentTotal: total, volumesInUse: volumesInUseOn(this.m, this.agent.id) };
    const source = kind === 'RESERVE' ? injectAllocationRole(op.reserve?.source, this.role) : undefined;
    const v = convert(kind, wire, ctx, source);
    if (!v.ok) return drop(v.message);
    const next = applyConversion(pool, v.conversion, this.role);
    if (next === undefined) return drop(`${kind} requires ${v.conversion.consumed.toString()}, more than available ${pool.toString()}`);
    this.applied.push(v.conversion);
    return next;
  }

  /**
   * Commits the applied conversions. `offered` is what the offers held; afterwards the allocator holds the
   * converted offered resources for the framework, so the caller recovers leftovers as usual.
   */
  commit(offered: Resources): void {
    const agent = this.agent;
    if (this.applied.length === 0 || agent === undefined) return;
    if (!commitConversions(this.m, agent, this.applied)) return;
    const now = this.m.clock.now();
    const a = this.m.allocator;
    a.apply({ type: 'resourcesRecovered', frameworkId: this.fw.id, agentId: agent.id, resources: offered }, now);
    let converted = offered;
    for (const c of this.applied) {
      a.apply({ type: 'agentResourcesConverted', agentId: agent.id, consumed: c.consumed, produced: c.produced }, now);
      converted = applyConversion(converted, c, this.role) ?? converted;
    }
    a.apply({ type: 'resourcesUsed', frameworkId: this.fw.id, agentId: agent.id, resources: converted }, now);
  }
}

/**
 * The total to admit a (re-)registering agent with. The agent's checkpoint wins after a master failover
 * (`recovered`) and for new agents; for an agent this master already tracked with the same static
 * resources, the master's view wins (a CHECKPOINT_RESOURCES may have been lost while it was away), and
 * `resend` says the agent must be sent it again.
 */
export function totalOnRegistration(prev: AgentRec | undefined, reported: Resources, info: Resources): { total: Resources; resend: boolean } {
  if (prev === undefined || prev.state === 'recovered' || prev.state === 'gone') return { total: reported, resend: false };
  const prevInfo = fromWire((prev.info.resources ?? []) as WireResource[]);
  if (!prevInfo.equals(info) || prev.total.equals(reported)) return { total: reported, resend: false };
  return { total: prev.total, resend: true };
}

/** Tells the framework an operation with an `id` failed validation (OPERATION_ERROR, spec §2.5). */
export function operationError(m: Master, fw: FrameworkRec, op: OfferOperationJson, agentId: string | undefined, message: string): void {
  if (op.id === undefined) return;
  const status = { operation_id: op.id, state: 'OPERATION_ERROR', message, ...(agentId !== undefined ? { agent_id: { value: agentId } } : {}) };
  m.sendToFramework(fw, { type: 'UPDATE_OPERATION_STATUS', update_operation_status: { status } });
}
