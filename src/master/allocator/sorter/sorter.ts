/**
 * The Sorter seam (house style §2): orders clients (roles, or frameworks inside one role) for the
 * allocator. Synchronous, no I/O, no time, no randomness. One instance sorts roles; one more per role
 * sorts that role's frameworks.
 */
import type { AgentId } from '../../../core/ids.js';
import type { Resources } from '../../../core/resources.js';

/** Scalar quantities by resource name, in natural units (cpus 1.5, mem 1024). */
export type Quantities = ReadonlyMap<string, number>;

export interface Sorter {
  /** Adds a client (active). Adding a present client is a no-op. */
  add(client: string): void;
  /** Forgets a client and its allocations. Unknown client: no-op. */
  remove(client: string): void;
  /** Inactive clients keep their allocations but are left out of `sort()`. */
  setActive(client: string, on: boolean): void;
  /** Weight (> 0, default 1) of a client path; may be set before the client is added and outlives it. */
  setWeight(path: string, weight: number): void;
  /** Scalar totals of one agent (undefined = the agent is gone); shares are relative to the sum. */
  setAgentTotal(agentId: AgentId, total: Quantities | undefined): void;
  /** Records resources given to a client on an agent (counts as one allocation for the tie-break). */
  allocated(client: string, agentId: AgentId, resources: Resources): void;
  /** Records resources coming back; more than was allocated is clamped at zero. */
  unallocated(client: string, agentId: AgentId, resources: Resources): void;
  /**
   * Active clients in a total order: ascending share, then allocation count, then name. The returned
   * array is a snapshot: later changes to the sorter do not alter it.
   */
  sort(): readonly string[];
  /** True when the client was added and not removed. */
  contains(client: string): boolean;
  /** Current (weighted) share of a client; 0 for an unknown client. */
  share(client: string): number;
  /** Every client (active or not), in insertion order. */
  clients(): readonly string[];
}
