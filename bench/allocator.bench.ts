/**
 * One DRF allocation cycle over N agents × M frameworks (10 roles), with the real DrfAllocator. Each
 * configuration: build the books, one warm-up cycle, then timed cycles, each after every offer of the
 * previous cycle was declined without a filter (so every cycle offers the whole cluster again). "idle cycle"
 * is a cycle while every offer is outstanding (the cost of visiting agents that have nothing free).
 */
import { asAgentId, asFrameworkId } from '../src/core/ids.js';
import { parseResources } from '../src/core/resources.js';
import { SeededRng } from '../src/core/rng.js';
import type { OfferBatch } from '../src/master/allocator/index.js';
import { DEFAULT_MIN_ALLOCATABLE, DrfAllocator } from '../src/master/allocator/index.js';
import type { BenchResult } from './harness.js';
import { median, round, timeMs } from './harness.js';

const AGENTS = [1_000, 5_000, 10_000];
const FRAMEWORKS = [100, 1_000];
const ROLES = 10;
const TIMED_CYCLES = 3;
const AGENT_RESOURCES = parseResources('cpus:16;mem:65536;disk:500000;ports:[31000-32000]');

function build(agents: number, frameworks: number): { allocator: DrfAllocator; setupMs: number } {
  const allocator = new DrfAllocator(
    { allocationIntervalMs: 1000, minAllocatable: DEFAULT_MIN_ALLOCATABLE, filterGpuResources: true },
    new SeededRng(42),
  );
  const setupMs = timeMs(() => {
    for (let f = 0; f < frameworks; f++) {
      allocator.apply(
        {
          type: 'frameworkAdded',
          frameworkId: asFrameworkId(`fw-${f}`),
          roles: [`role-${f % ROLES}`],
          suppressedRoles: [],
          capabilities: { gpuResources: false, multiRole: true, revocable: false },
          active: true,
          used: new Map(),
        },
        0,
      );
    }
    for (let a = 0; a < agents; a++) {
      allocator.apply({ type: 'agentAdded', agentId: asAgentId(`agent-${a}`), hostname: `host-${a}`, total: AGENT_RESOURCES, used: new Map() }, 0);
    }
  });
  return { allocator, setupMs };
}

function declineAll(allocator: DrfAllocator, offers: readonly OfferBatch[], now: number): void {
  for (const o of offers) {
    allocator.apply({ type: 'resourcesRecovered', frameworkId: o.frameworkId, agentId: o.agentId, resources: o.resources }, now);
  }
}

/** Runs the allocator benchmark (see module comment). */
export async function run(): Promise<BenchResult> {
  const rows: Array<Record<string, string | number>> = [];
  // Warm-up of the JIT on a small cluster before anything is measured.
  {
    const { allocator } = build(500, 50);
    for (let i = 0; i < 5; i++) declineAll(allocator, allocator.cycle(i * 1000), i * 1000);
  }
  for (const agents of AGENTS) {
    for (const frameworks of FRAMEWORKS) {
      const { allocator, setupMs } = build(agents, frameworks);
      let now = 1000;
      declineAll(allocator, allocator.cycle(now), now); // warm-up cycle (also the first sort after setup)
      const times: number[] = [];
      const idle: number[] = [];
      let offers = 0;
      let declineMs = 0;
      for (let i = 0; i < TIMED_CYCLES; i++) {
        now += 1000;
        let out: readonly OfferBatch[] = [];
        times.push(timeMs(() => (out = allocator.cycle(now))));
        offers = out.length;
        idle.push(timeMs(() => allocator.cycle(now))); // everything is outstanding: nothing to offer
        declineMs += timeMs(() => declineAll(allocator, out, now));
      }
      rows.push({
        agents,
        frameworks,
        offers,
        'cycle ms (median)': round(median(times)),
        'cycle ms (min)': round(Math.min(...times)),
        'µs/agent': round((median(times) * 1000) / agents, 1),
        'idle cycle ms': round(median(idle)),
        'decline all ms': round(declineMs / TIMED_CYCLES),
        'setup ms': round(setupMs),
      });
      await Promise.resolve();
    }
  }
  const big = rows.find((r) => r.agents === 10_000 && r.frameworks === 1_000);
  return {
    name: 'allocator',
    rows,
    summary: { 'cycle ms at 10k agents x 1k frameworks': big?.['cycle ms (median)'] ?? 'n/a', roles: ROLES, timedCycles: TIMED_CYCLES },
  };
}
