/**
 * One allocation pass (spec §6.5, stage 2 of the DRF allocator): agents in a shuffled order, roles in
 * DRF order, frameworks in DRF order inside each role; each eligible framework-role receives everything
 * left on the agent that is allocatable to its role. Deterministic for a given Rng and books.
 */
import type { FrameworkId } from '../../core/ids.js';
import type { Resources } from '../../core/resources.js';
import type { Rng } from '../../core/rng.js';
import { shuffled } from '../../core/rng.js';
import type { AgentState, FrameworkState, Shape } from './accounting.js';
import { Accounting } from './accounting.js';
import type { OfferBatch, StarvationReport } from './allocator.js';
import type { RefuseFilters } from './filters.js';

export interface CycleConfig {
  readonly minAllocatable: readonly Shape[];
  readonly filterGpuResources: boolean;
}

export interface CycleResult {
  readonly offers: readonly OfferBatch[];
  readonly starvation: readonly StarvationReport[];
}

/** True when resources reach at least one shape (an empty list of shapes accepts anything non-empty). */
export function meetsMinimum(resources: Resources, shapes: readonly Shape[]): boolean {
  if (resources.isEmpty()) return false;
  if (shapes.length === 0) return true;
  const q = resources.quantities();
  return shapes.some((shape) => Object.entries(shape).every(([name, min]) => (q.get(name) ?? 0) >= min));
}

type Skip = 'filtered';

/** What fw can take: `plain` without allocation role, `offered` the same marked with the role. */
interface Candidate {
  readonly plain: Resources;
  readonly offered: Resources;
}

/** Resources of the free pool allocatable to role (no copy when nothing on the agent is reserved). */
function allocatable(free: Resources, role: string): Resources {
  return free.entries.every((e) => e.reservations.length === 0) ? free : free.allocatableTo(role);
}

/** Why fw cannot take candidate on agent, or the resources it can take. */
function candidateFor(
  fw: FrameworkState,
  role: string,
  agent: AgentState,
  available: Resources,
  filters: RefuseFilters,
  config: CycleConfig,
  now: number,
): Candidate | Skip {
  if (config.filterGpuResources && agent.hasGpus && !fw.capabilities.gpuResources) return 'filtered';
  let candidate = available;
  if (!fw.capabilities.revocable && candidate.entries.some((e) => e.revocable === true)) {
    candidate = candidate.filter((e) => e.revocable !== true);
  }
  if (!meetsMinimum(candidate, fw.minAllocatable.get(role) ?? config.minAllocatable)) return 'filtered';
  const offered = candidate.allocate(role);
  if (filters.isFiltered(fw.id, role, agent.id, offered, now)) return 'filtered';
  return { plain: candidate, offered };
}

/** Runs one pass, mutating the books (offered resources become held) and returning the offers. */
export function runCycle(books: Accounting, filters: RefuseFilters, config: CycleConfig, rng: Rng, now: number): CycleResult {
  const offers: OfferBatch[] = [];
  const offered = new Set<string>();
  const filteredAgents = new Map<string, number>();
  const agents = shuffled([...books.agents.values()], rng);
  for (const agent of agents) {
    if (!agent.active || agent.free.isEmpty()) continue;
    for (const role of books.roleSorter.sort()) {
      if (agent.free.isEmpty()) break;
      const sorter = books.frameworkSorters.get(role);
      if (sorter === undefined) continue;
      let available: Resources | undefined;
      for (const fid of sorter.sort()) {
        available ??= allocatable(agent.free, role);
        if (available.isEmpty()) break;
        const fw = books.frameworks.get(fid as FrameworkId);
        if (fw === undefined || !Accounting.wantsOffers(fw, role)) continue;
        const got = candidateFor(fw, role, agent, available, filters, config, now);
        const k = `${fid}\u0000${role}`;
        if (got === 'filtered') {
          filteredAgents.set(k, (filteredAgents.get(k) ?? 0) + 1);
          continue;
        }
        const taken = books.trackFree(fw, agent, role, got.plain, got.offered);
        offers.push({ frameworkId: fw.id, agentId: agent.id, role, resources: taken });
        offered.add(k);
        if (agent.free.isEmpty()) break;
        available = undefined; // recomputed only if another framework of this role is looked at
      }
    }
  }
  return { offers, starvation: starvationOf(books, offered, filteredAgents) };
}

function starvationOf(books: Accounting, offered: ReadonlySet<string>, filteredAgents: ReadonlyMap<string, number>): StarvationReport[] {
  const out: StarvationReport[] = [];
  for (const fw of books.frameworks.values()) {
    if (!fw.known) continue;
    for (const role of [...fw.roles].sort()) {
      const k = `${fw.id}\u0000${role}`;
      if (offered.has(k)) continue;
      const filtered = filteredAgents.get(k) ?? 0;
      const reason: StarvationReport['reason'] = !fw.active
        ? 'inactive'
        : fw.suppressed.has(role)
          ? 'suppressed'
          : filtered > 0
            ? 'filtered'
            : 'no_resources';
      out.push({ frameworkId: fw.id, role, reason, filteredAgents: filtered });
    }
  }
  return out;
}
