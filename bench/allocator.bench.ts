/**
 * Allocator benchmark mirroring upstream's DeclineOffers (src/tests/hierarchical_allocator_benchmarks.cpp):
 * N agents `cpus:24;mem:4096;disk:4096;ports:[31000-32000]`, M frameworks (10 roles); every offer is
 * declined with a very long refuse filter, and one allocation cycle is timed.
 *
 * Columns: "first cycle" offers the whole cluster to fresh books; "decline cycle" is the cycle after every
 * offer was declined with a long filter (each agent is offered again, to the next unfiltered framework);
 * "1% cycle" is a cycle while everything is outstanding except 1 % of the agents, whose offers came back
 * (the steady state of a busy cluster); "1% dirty cycle" is the same with only those agents marked dirty and
 * visited (dirty-agent batching, as the master's immediate cycle for new agents). The last row is the
 * master's memory at 20k agents (bench/allocator-memory.ts says what it includes). The 3-level scenario uses roles `org-i/team-j/svc-k` with quota
 * guarantees on the top level. Medians of 3 fresh builds (7 for the small clusters); "books MiB" is the heap
 * growth while building the books (approximate: no forced GC).
 */
import { asAgentId, asFrameworkId } from '../src/core/ids.js';
import { parseResources } from '../src/core/resources.js';
import { SeededRng } from '../src/core/rng.js';
import type { AllocatorEvent, OfferBatch } from '../src/master/allocator/index.js';
import { DEFAULT_MIN_ALLOCATABLE, DrfAllocator } from '../src/master/allocator/index.js';
import { masterMemory } from './allocator-memory.js';
import type { BenchResult } from './harness.js';
import { median, round, timeMs } from './harness.js';

const SCENARIOS: ReadonlyArray<{ agents: number; frameworks: number; tree?: boolean }> = [
  { agents: 1_000, frameworks: 100 },
  { agents: 5_000, frameworks: 500 },
  { agents: 10_000, frameworks: 1_000 },
  { agents: 20_000, frameworks: 2_000 },
  { agents: 10_000, frameworks: 1_000, tree: true },
];
const ROLES = 10;
const TIMED = 3;
const LONG_REFUSE_MS = 365 * 24 * 3600 * 1000;
const AGENT_RESOURCES = parseResources('cpus:24;mem:4096;disk:4096;ports:[31000-32000]');

function roleOf(f: number, tree: boolean): string {
  if (!tree) return `role-${f % ROLES}`;
  // 3 levels: 4 orgs × 3 teams × 3 services.
  return `org-${f % 4}/team-${Math.floor(f / 4) % 3}/svc-${Math.floor(f / 12) % 3}`;
}

function build(agents: number, frameworks: number, tree: boolean): { allocator: DrfAllocator; setupMs: number } {
  const allocator = new DrfAllocator(
    { allocationIntervalMs: 1000, minAllocatable: DEFAULT_MIN_ALLOCATABLE, filterGpuResources: true },
    new SeededRng(42),
  );
  const setupMs = timeMs(() => {
    if (tree) {
      for (let o = 0; o < 4; o++) {
        const guarantee = new Map([['cpus', agents * 2], ['mem', agents * 256]]);
        allocator.apply({ type: 'quotaUpdated', role: `org-${o}`, guarantees: guarantee, limits: new Map() }, 0);
      }
    }
    for (let f = 0; f < frameworks; f++) {
      const ev: AllocatorEvent = {
        type: 'frameworkAdded',
        frameworkId: asFrameworkId(`fw-${f}`),
        roles: [roleOf(f, tree)],
        suppressedRoles: [],
        capabilities: { gpuResources: false, multiRole: true, revocable: false },
        active: true,
        used: new Map(),
      };
      allocator.apply(ev, 0);
    }
    for (let a = 0; a < agents; a++) {
      allocator.apply({ type: 'agentAdded', agentId: asAgentId(`agent-${a}`), hostname: `host-${a}`, total: AGENT_RESOURCES, used: new Map() }, 0);
    }
  });
  return { allocator, setupMs };
}

function recover(allocator: DrfAllocator, offers: readonly OfferBatch[], now: number, refuseMs?: number): void {
  for (const o of offers) {
    allocator.apply(
      { type: 'resourcesRecovered', frameworkId: o.frameworkId, agentId: o.agentId, resources: o.resources, ...(refuseMs !== undefined ? { refuseMs } : {}) },
      now,
    );
  }
}

function scenario(agents: number, frameworks: number, tree: boolean): Record<string, string | number> {
  const first: number[] = [];
  const declined: number[] = [];
  const onePercent: number[] = [];
  const onePercentDirty: number[] = [];
  let setup = 0;
  let offers = 0;
  let heapMiB = 0;
  const runs = agents <= 5_000 ? TIMED + 4 : TIMED;
  for (let i = 0; i < runs; i++) {
    const heapBefore = process.memoryUsage().heapUsed;
    const { allocator, setupMs } = build(agents, frameworks, tree);
    heapMiB = Math.max(0, process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    setup = setupMs;
    let now = 1000;
    let out: readonly OfferBatch[] = [];
    first.push(timeMs(() => (out = allocator.cycle(now))));
    offers = out.length;
    recover(allocator, out, now, LONG_REFUSE_MS);
    now += 1000;
    declined.push(timeMs(() => (out = allocator.cycle(now))));
    // Steady state: everything outstanding; 1 % of the agents' offers come back (declined, no filter).
    const back = out.filter((_, k) => k % 100 === 0);
    recover(allocator, back, now);
    now += 1000;
    let again: readonly OfferBatch[] = [];
    onePercent.push(timeMs(() => (again = allocator.cycle(now))));
    // The same with dirty-agent batching: the changed agents are marked and only they are visited
    // (the master's immediate cycle for new agents; see Master.triggerAllocation).
    recover(allocator, again, now);
    now += 1000;
    const dirty = new Set(back.map((o) => o.agentId));
    onePercentDirty.push(timeMs(() => allocator.cycle(now, dirty)));
  }
  return {
    agents,
    frameworks,
    roles: tree ? '3-level + quota' : `${ROLES} flat`,
    offers,
    'first cycle ms': round(median(first)),
    'decline cycle ms': round(median(declined)),
    'decline min ms': round(Math.min(...declined)),
    '1% cycle ms': round(median(onePercent)),
    '1% dirty cycle ms': round(median(onePercentDirty), 3),
    'setup ms': round(setup),
    'books MiB (approx.)': round(heapMiB, 1),
  };
}

/** Runs the allocator benchmark (see module comment). */
export async function run(): Promise<BenchResult> {
  // Warm-up of the JIT on a small cluster before anything is measured.
  scenario(500, 50, false);
  scenario(500, 50, true);
  const rows: Array<Record<string, string | number>> = [];
  for (const s of SCENARIOS) {
    rows.push(scenario(s.agents, s.frameworks, s.tree === true));
    await Promise.resolve();
  }
  // Memory last: what it builds would otherwise stay in the heap during the timed cycles. Its RSS growth is
  // then understated (the timing scenarios already grew the heap); heap used is measured after forced GCs.
  const memory = await masterMemory(20_000, 2_000);
  rows.push(memory);
  const heap = process.memoryUsage().heapUsed / 2 ** 20;
  const at = (a: number, tree = false): string | number =>
    rows.find((r) => r.agents === a && (r.roles === '3-level + quota') === tree)?.['decline cycle ms'] ?? 'n/a';
  return {
    name: 'allocator',
    rows,
    summary: {
      'decline cycle ms 1k x 100 (target 10)': at(1_000),
      'decline cycle ms 5k x 500 (target 40)': at(5_000),
      'decline cycle ms 10k x 1k (target 100)': at(10_000),
      'decline cycle ms 20k x 2k (target 300)': at(20_000),
      'decline cycle ms 10k x 1k 3-level + quota': at(10_000, true),
      'master heap MiB at 20k agents (+2k frameworks, 20k offers)': memory['heap MiB (+ frameworks, offers)'] ?? 'n/a',
      'master RSS MiB growth at 20k agents': memory['RSS MiB growth'] ?? 'n/a',
      'heap MiB after run': round(heap, 1),
      timedRuns: TIMED,
    },
  };
}
