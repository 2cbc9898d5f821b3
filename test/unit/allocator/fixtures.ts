/** Event builders for allocator tests. */
import type { AgentId, FrameworkId } from '../../../src/core/ids.js';
import { asAgentId, asFrameworkId } from '../../../src/core/ids.js';
import type { Resources } from '../../../src/core/resources.js';
import { parseResources } from '../../../src/core/resources.js';
import { SeededRng } from '../../../src/core/rng.js';
import type { AllocatorConfig, AllocatorEvent, FrameworkCapabilities, OfferBatch } from '../../../src/master/allocator/index.js';
import { DEFAULT_MIN_ALLOCATABLE, DrfAllocator } from '../../../src/master/allocator/index.js';

export const CONFIG: AllocatorConfig = { allocationIntervalMs: 1000, minAllocatable: DEFAULT_MIN_ALLOCATABLE, filterGpuResources: true };

export function makeAllocator(config: Partial<AllocatorConfig> = {}, seed = 7): DrfAllocator {
  return new DrfAllocator({ ...CONFIG, ...config }, new SeededRng(seed));
}

export const aid = (n: number | string): AgentId => asAgentId(`agent-${n}`);
export const fid = (n: number | string): FrameworkId => asFrameworkId(`fw-${n}`);

export function agentAdded(id: AgentId, resources: string | Resources, used: ReadonlyMap<FrameworkId, Resources> = new Map()): AllocatorEvent {
  const total = typeof resources === 'string' ? parseResources(resources) : resources;
  return { type: 'agentAdded', agentId: id, hostname: `${id}.example`, total, used };
}

export interface FwOpts {
  roles?: string[];
  suppressed?: string[];
  caps?: Partial<FrameworkCapabilities>;
  active?: boolean;
  used?: ReadonlyMap<AgentId, Resources>;
  minAllocatable?: ReadonlyMap<string, readonly Record<string, number>[]>;
}

export function frameworkAdded(id: FrameworkId, opts: FwOpts = {}): AllocatorEvent {
  const ev: AllocatorEvent = {
    type: 'frameworkAdded',
    frameworkId: id,
    roles: opts.roles ?? ['*'],
    suppressedRoles: opts.suppressed ?? [],
    capabilities: { gpuResources: false, multiRole: true, revocable: false, ...opts.caps },
    active: opts.active ?? true,
    used: opts.used ?? new Map(),
    ...(opts.minAllocatable !== undefined ? { minAllocatable: opts.minAllocatable } : {}),
  };
  return ev;
}

export function decline(o: OfferBatch, refuseMs?: number): AllocatorEvent {
  return { type: 'resourcesRecovered', frameworkId: o.frameworkId, agentId: o.agentId, resources: o.resources, ...(refuseMs !== undefined ? { refuseMs } : {}) };
}

/** Compact view of offers for assertions: "fw-1@agent-0(role): cpus:4;mem:1024". */
export function describe(offers: readonly OfferBatch[]): string[] {
  return offers.map((o) => `${o.frameworkId}@${o.agentId}(${o.role}): ${o.resources.toString()}`);
}
