/**
 * The allocator seam. The master owns one Allocator and feeds it events; `cycle(now)` returns the offers
 * to make. Implementations are pure and deterministic: no I/O, no global time (time comes in `now`),
 * randomness only from the Rng they were built with. The hierarchical allocator (roles, weights, quota,
 * reservations) replaces the DRF one behind this same interface.
 *
 * Accounting: resources the allocator hands out stay "allocated" to (framework, role, agent) until they come
 * back through `resourcesRecovered` (decline, unused part of an accept, rescind, task end, framework removal).
 */
import type { AgentId, FrameworkId } from '../../core/ids.js';
import type { Resources } from '../../core/resources.js';

export interface FrameworkCapabilities {
  readonly gpuResources: boolean;
  readonly multiRole: boolean;
  readonly revocable: boolean;
}

export type AllocatorEvent =
  | {
      readonly type: 'agentAdded';
      readonly agentId: AgentId;
      readonly hostname: string;
      /** Everything the agent has, reservations included, without allocation roles. */
      readonly total: Resources;
      /** Already in use on the agent (tasks re-learned on re-registration), per framework, with allocation roles. */
      readonly used: ReadonlyMap<FrameworkId, Resources>;
    }
  | { readonly type: 'agentRemoved'; readonly agentId: AgentId }
  | { readonly type: 'agentActivated'; readonly agentId: AgentId }
  | { readonly type: 'agentDeactivated'; readonly agentId: AgentId }
  | {
      readonly type: 'frameworkAdded';
      readonly frameworkId: FrameworkId;
      readonly roles: readonly string[];
      readonly suppressedRoles: readonly string[];
      readonly capabilities: FrameworkCapabilities;
      readonly active: boolean;
      /** Resources already in use by this framework (after master failover), per agent, with allocation roles. */
      readonly used: ReadonlyMap<AgentId, Resources>;
      /** Per-role min_allocatable_resources from FrameworkInfo.offer_filters; overrides the global shapes. */
      readonly minAllocatable?: ReadonlyMap<string, readonly Readonly<Record<string, number>>[]>;
    }
  | {
      readonly type: 'frameworkUpdated';
      readonly frameworkId: FrameworkId;
      readonly roles: readonly string[];
      readonly suppressedRoles: readonly string[];
      readonly capabilities: FrameworkCapabilities;
      /** Per-role min_allocatable_resources from FrameworkInfo.offer_filters; overrides the global shapes. */
      readonly minAllocatable?: ReadonlyMap<string, readonly Readonly<Record<string, number>>[]>;
    }
  | { readonly type: 'frameworkRemoved'; readonly frameworkId: FrameworkId }
  | { readonly type: 'frameworkActivated'; readonly frameworkId: FrameworkId }
  | { readonly type: 'frameworkDeactivated'; readonly frameworkId: FrameworkId }
  | {
      readonly type: 'resourcesRecovered';
      readonly frameworkId: FrameworkId;
      readonly agentId: AgentId;
      /** With allocation roles, as they were offered. */
      readonly resources: Resources;
      /** Refuse filter to install for these resources (ms); undefined or 0 = none. */
      readonly refuseMs?: number;
    }
  | {
      /** Resources in use that the allocator did not hand out (e.g. a task re-learned from an agent). */
      readonly type: 'resourcesUsed';
      readonly frameworkId: FrameworkId;
      readonly agentId: AgentId;
      readonly resources: Resources;
    }
  | {
      /**
       * Some of an agent's resources changed form (RESERVE/UNRESERVE/CREATE/DESTROY): `consumed` (without
       * allocation roles, all free in the allocator's books) is replaced by `produced` in its total and free pool.
       */
      readonly type: 'agentResourcesConverted';
      readonly agentId: AgentId;
      readonly consumed: Resources;
      readonly produced: Resources;
    }
  | { readonly type: 'suppress'; readonly frameworkId: FrameworkId; readonly roles: readonly string[] }
  | { readonly type: 'revive'; readonly frameworkId: FrameworkId; readonly roles: readonly string[] }
  /** Role weights changed (`/weights`, UPDATE_WEIGHTS); roles not listed keep their weight. Weights must be > 0. */
  | { readonly type: 'weightsUpdated'; readonly weights: ReadonlyMap<string, number> }
  /**
   * Quota of a role set (`/quota`, UPDATE_QUOTA): scalar guarantees and limits in natural units. Empty maps
   * (no guarantee, no limit) remove the quota. Guarantees are met first; limits are never exceeded.
   */
  | {
      readonly type: 'quotaUpdated';
      readonly role: string;
      readonly guarantees: ReadonlyMap<string, number>;
      readonly limits: ReadonlyMap<string, number>;
    };

/** One offer to make: everything given to one framework, for one role, on one agent, in this cycle. */
export interface OfferBatch {
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly role: string;
  /** With allocation roles set to `role`. */
  readonly resources: Resources;
}

/** Why a framework got nothing in the last cycle (for `/master/roles` and debugging). */
export interface StarvationReport {
  readonly frameworkId: FrameworkId;
  readonly role: string;
  readonly reason: 'inactive' | 'suppressed' | 'filtered' | 'quota_limit' | 'no_resources';
  readonly filteredAgents: number;
}

export interface AllocatorConfig {
  /** Allocation interval (ms): filters last at least this long. */
  readonly allocationIntervalMs: number;
  /** Smallest offer worth making: cpus ≥ 0.01 or mem ≥ 32 by default (spec §6.1). */
  readonly minAllocatable: readonly Readonly<Record<string, number>>[];
  /** GPU agents are only offered to GPU_RESOURCES frameworks when true. */
  readonly filterGpuResources: boolean;
  /** Initial role weights (`--weights`); default 1. */
  readonly roleWeights?: ReadonlyMap<string, number>;
  /** Resource names left out of DRF shares (`--fair_sharing_excluded_resource_names`). */
  readonly fairSharingExcludedResourceNames?: readonly string[];
}

export interface Allocator {
  /** Applies one event at time `now` (ms). Never throws for unknown ids: it ignores them. */
  apply(event: AllocatorEvent, now: number): void;
  /**
   * Runs one allocation pass and returns the offers, in a deterministic order. `agents` restricts the pass
   * to those agents (upstream's `allocate(slaveId)`, e.g. right after an agent was added); by default
   * every agent is visited.
   */
  cycle(now: number, agents?: ReadonlySet<AgentId>): readonly OfferBatch[];
  /** Per framework-role, why nothing was offered in the last full cycle (targeted cycles do not change it). */
  lastCycleStarvation(): readonly StarvationReport[];
  /** Dominant share per role (for metrics: allocator/mesos/roles/<role>/shares/dominant). */
  roleShares(): ReadonlyMap<string, number>;
  /** Number of active refuse filters per role (for metrics). */
  activeFilters(): ReadonlyMap<string, number>;
}

export const DEFAULT_MIN_ALLOCATABLE: readonly Readonly<Record<string, number>>[] = [{ cpus: 0.01 }, { mem: 32 }];
