/**
 * One allocation pass (spec §6.5, stage 2 of the DRF allocator): agents in a shuffled order, roles in
 * DRF order, frameworks in DRF order inside each role; each eligible framework-role receives everything
 * left on the agent that is allocatable to its role. Deterministic for a given Rng and books.
 */
import type { AgentId, FrameworkId } from '../../core/ids.js';
import type { Resources } from '../../core/resources.js';
import type { Rng } from '../../core/rng.js';
import { shuffled } from '../../core/rng.js';
import type { AgentState, FrameworkState, Shape } from './accounting.js';
import { Accounting } from './accounting.js';
import type { OfferBatch, StarvationReport } from './allocator.js';
import type { RefuseFilters } from './filters.js';
import type { Quotas } from './quota.js';
import { QuotaCycle, chop } from './quota.js';

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
  for (const shape of shapes) {
    let ok = true;
    for (const name in shape) {
      if (quantityOf(resources, name) < (shape[name] ?? 0)) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

/** Quantity of one resource name as `Resources.quantities()` counts it, without building the whole map. */
function quantityOf(resources: Resources, name: string): number {
  let milli = 0;
  for (const e of resources.entries) {
    if (e.name !== name) continue;
    if (e.kind === 'SCALAR') milli += e.milli ?? 0;
    else if (e.kind === 'RANGES') for (const [b, x] of e.ranges ?? []) milli += (x - b + 1) * 1000;
    else milli += (e.items ?? []).length * 1000;
  }
  return milli / 1000;
}

type Skip = 'filtered' | 'quota' | 'quota_exhausted';

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
  ctx: Ctx,
): Candidate | Skip {
  const { config, filters, now } = ctx;
  if (config.filterGpuResources && agent.hasGpus && !fw.capabilities.gpuResources) return 'filtered';
  let candidate = available;
  if (!fw.capabilities.revocable && candidate.entries.some((e) => e.revocable === true)) {
    candidate = candidate.filter((e) => e.revocable !== true);
  }
  const shapes = fw.minAllocatable.get(role) ?? config.minAllocatable;
  if (ctx.quota?.constrains(role) === true) {
    const chopped = chop(candidate, ctx.books.totals, ctx.quota.cap(role, ctx.stage));
    // Nothing left: the role's quota allows nothing here, for any of its frameworks.
    if (chopped.isEmpty()) return 'quota_exhausted';
    if (chopped !== candidate && !meetsMinimum(chopped, shapes)) {
      if (!meetsMinimum(candidate, shapes)) return 'filtered';
      // Same cap for every framework of the role: without per-framework shapes or revocable resources the
      // others cannot do better on this agent.
      return !ctx.anyMinOverride && candidate === available ? 'quota_exhausted' : 'quota';
    }
    candidate = chopped;
  }
  if (!meetsMinimum(candidate, shapes)) return 'filtered';
  const offered = candidate.allocate(role);
  if (filters.isFiltered(fw.id, role, agent.id, offered, now)) return 'filtered';
  return { plain: candidate, offered };
}

interface Ctx {
  readonly books: Accounting;
  readonly filters: RefuseFilters;
  readonly config: CycleConfig;
  readonly now: number;
  readonly quota: QuotaCycle | undefined;
  stage: 1 | 2;
  readonly offers: OfferBatch[];
  /** framework\0role\0agent → index in offers (stage 2 adds to a stage-1 offer of the same agent). */
  readonly offerIndex: Map<string, number>;
  /** Per framework id: roles offered something / filtered agents per role / roles cut by quota. Nested maps
   *  of existing strings, so the hot loop builds no keys. */
  readonly offered: Map<string, Set<string>>;
  readonly filteredAgents: Map<string, Map<string, number>>;
  readonly quotaLimited: Map<string, Set<string>>;
  /** Some framework has its own min_allocatable shapes (else an agent below the global minimum is skipped). */
  readonly anyMinOverride: boolean;
}

/**
 * Runs one pass, mutating the books (offered resources become held) and returning the offers. With quota,
 * stage 1 first visits every agent for roles with unmet guarantees only; stage 2 is the plain DRF pass.
 */
export function runCycle(
  books: Accounting,
  filters: RefuseFilters,
  config: CycleConfig,
  rng: Rng,
  now: number,
  quotas?: Quotas,
  only?: ReadonlySet<AgentId>,
): CycleResult {
  const ctx: Ctx = {
    books,
    filters,
    config,
    now,
    quota: quotas === undefined || quotas.isEmpty() ? undefined : new QuotaCycle(books, quotas),
    stage: 1,
    offers: [],
    offerIndex: new Map(),
    offered: new Map(),
    filteredAgents: new Map(),
    quotaLimited: new Map(),
    anyMinOverride: [...books.frameworks.values()].some((f) => f.minAllocatable.size > 0),
  };
  // A targeted pass (`only`) visits the given agents in insertion order before the shuffle: deterministic.
  const picked: AgentState[] = only === undefined ? [...books.agents.values()] : [...only].flatMap((id) => books.agents.get(id) ?? []);
  const agents = shuffled(picked, rng);
  if (ctx.quota !== undefined) for (const agent of agents) visit(agent, ctx);
  ctx.stage = 2;
  for (const agent of agents) visit(agent, ctx);
  // A targeted pass does not produce a starvation report (it saw a few agents only).
  return { offers: ctx.offers, starvation: only === undefined ? starvationOf(books, ctx) : [] };
}

function visit(agent: AgentState, ctx: Ctx): void {
  const { books } = ctx;
  if (!agent.active || agent.free.isEmpty()) return;
  // As upstream: an agent with less than the smallest offer worth making is not looked at.
  if (!ctx.anyMinOverride && !meetsMinimum(agent.free, ctx.config.minAllocatable)) return;
  const unreservedAgent = agent.free.entries.every((e) => e.reservations.length === 0);
  let exhausted: Set<string> | undefined;
  for (const role of books.roles.order()) {
    if (agent.free.isEmpty()) return;
    const sorter = books.frameworkSorters.get(role);
    if (sorter === undefined) continue;
    if (ctx.stage === 1 && ctx.quota?.wantsGuarantee(role) !== true) continue;
    // Caps only shrink during a visit: once the quota of a top quota role left nothing on this (unreserved)
    // agent, its other sub-roles need not be tried.
    const top = ctx.quota === undefined ? undefined : ctx.quota.topQuotaRole(role);
    if (top !== undefined && exhausted?.has(top) === true) continue;
    let available: Resources | undefined;
    // Live order (no copy) until this role's sorter changes, i.e. until an offer is made; see below.
    let order: readonly { readonly name: string }[] = sorter.liveOrder();
    for (let i = 0; i < order.length; i++) {
      const fid = (order[i] as { readonly name: string }).name;
      available ??= allocatable(agent.free, role);
      if (available.isEmpty()) break;
      const fw = books.frameworks.get(fid as FrameworkId);
      if (fw === undefined || !Accounting.wantsOffers(fw, role)) continue;
      const got = candidateFor(fw, role, agent, available, ctx);
      if (got === 'filtered') {
        let m = ctx.filteredAgents.get(fid);
        if (m === undefined) ctx.filteredAgents.set(fid, (m = new Map<string, number>()));
        m.set(role, (m.get(role) ?? 0) + 1);
        continue;
      }
      if (got === 'quota' || got === 'quota_exhausted') {
        addTo(ctx.quotaLimited, fid, role);
        if (got === 'quota_exhausted') {
          const top = ctx.quota?.topQuotaRole(role);
          if (unreservedAgent && top !== undefined) (exhausted ??= new Set()).add(top);
          break;
        }
        continue;
      }
      const taken = books.trackFree(fw, agent, role, got.plain, got.offered);
      ctx.quota?.charge(role, taken);
      record(ctx, { frameworkId: fw.id, agentId: agent.id, role, resources: taken });
      addTo(ctx.offered, fid, role);
      if (agent.free.isEmpty()) return;
      available = allocatable(agent.free, role);
      if (available.isEmpty()) break;
      // Something is left for this role (e.g. revocable resources the framework could not take): go on
      // with the frameworks not looked at yet, over a snapshot, as the offer moved this one in the order.
      const seen = new Set(order.slice(0, i + 1).map((c) => c.name));
      order = sorter.sort().filter((n) => !seen.has(n)).map((name) => ({ name }));
      i = -1;
    }
  }
}

function addTo(m: Map<string, Set<string>>, fid: string, role: string): void {
  let set = m.get(fid);
  if (set === undefined) m.set(fid, (set = new Set<string>()));
  set.add(role);
}

function record(ctx: Ctx, offer: OfferBatch): void {
  if (ctx.quota === undefined) {
    ctx.offers.push(offer);
    return;
  }
  const key = `${offer.frameworkId}\u0000${offer.role}\u0000${offer.agentId}`;
  const at = ctx.offerIndex.get(key);
  const prev = at === undefined ? undefined : ctx.offers[at];
  if (at !== undefined && prev !== undefined) {
    ctx.offers[at] = { ...prev, resources: prev.resources.plus(offer.resources) };
    return;
  }
  ctx.offerIndex.set(key, ctx.offers.length);
  ctx.offers.push(offer);
}

function starvationOf(books: Accounting, ctx: Ctx): StarvationReport[] {
  const { offered, filteredAgents } = ctx;
  const out: StarvationReport[] = [];
  for (const fw of books.frameworks.values()) {
    if (!fw.known) continue;
    for (const role of [...fw.roles].sort()) {
      if (offered.get(fw.id)?.has(role) === true) continue;
      const filtered = filteredAgents.get(fw.id)?.get(role) ?? 0;
      const reason: StarvationReport['reason'] = !fw.active
        ? 'inactive'
        : fw.suppressed.has(role)
          ? 'suppressed'
          : filtered > 0
            ? 'filtered'
            : ctx.quotaLimited.get(fw.id)?.has(role) === true
              ? 'quota_limit'
              : 'no_resources';
      out.push({ frameworkId: fw.id, role, reason, filteredAgents: filtered });
    }
  }
  return out;
}
