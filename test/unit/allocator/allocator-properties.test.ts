import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AgentId } from '../../../src/core/ids.js';
import { Resources, parseResources, reservationRole } from '../../../src/core/resources.js';
import type { DrfAllocator, OfferBatch } from '../../../src/master/allocator/index.js';
import { agentAdded, aid, decline, describe as show, fid, frameworkAdded, makeAllocator } from './fixtures.js';

const AGENT_SHAPES = [
  'cpus:4;mem:1024;ports:[31000-31005]',
  'cpus:1;mem:64',
  'cpus(r1):2;mem:512;cpus:1',
  'cpus:2;mem:256;gpus:1',
  'cpus(r1/a):1;mem(r1):64;cpus:1;mem:128',
];
const ROLES = ['r1', 'r2', '*', 'r1/a'];
/** Cpu limit of role r1 (and so of r1/a) in every replay. */
const R1_CPU_LIMIT = 3;

type Step =
  | { k: 'agent'; n: number; shape: number }
  | { k: 'removeAgent'; n: number }
  | { k: 'framework'; n: number; roles: string[]; gpu: boolean }
  | { k: 'removeFramework'; n: number }
  | { k: 'cycle'; dt: number }
  | { k: 'decline'; pick: number; refuseMs: number; part: boolean }
  | { k: 'suppress' | 'revive'; n: number; role: string };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ k: fc.constant('agent' as const), n: fc.nat(5), shape: fc.nat(AGENT_SHAPES.length - 1) }),
  fc.record({ k: fc.constant('removeAgent' as const), n: fc.nat(5) }),
  fc.record({ k: fc.constant('framework' as const), n: fc.nat(3), roles: fc.subarray(ROLES, { minLength: 1 }), gpu: fc.boolean() }),
  fc.record({ k: fc.constant('removeFramework' as const), n: fc.nat(3) }),
  fc.record({ k: fc.constant('cycle' as const), dt: fc.integer({ min: 0, max: 3000 }) }),
  fc.record({ k: fc.constant('cycle' as const), dt: fc.integer({ min: 0, max: 3000 }) }),
  fc.record({ k: fc.constant('decline' as const), pick: fc.nat(), refuseMs: fc.constantFrom(0, 500, 5000), part: fc.boolean() }),
  fc.record({ k: fc.constantFrom('suppress' as const, 'revive' as const), n: fc.nat(3), role: fc.constantFrom(...ROLES) }),
);

/** Replays steps, checking after every cycle that no agent is ever over-offered. Returns every offer made. */
function replay(a: DrfAllocator, steps: readonly Step[]): string[] {
  let now = 0;
  const totals = new Map<AgentId, Resources>();
  let outstanding: OfferBatch[] = [];
  const log: string[] = [];
  for (const s of steps) {
    switch (s.k) {
      case 'agent': {
        if (totals.has(aid(s.n))) break;
        const total = parseResources(AGENT_SHAPES[s.shape] ?? '');
        totals.set(aid(s.n), total);
        a.apply(agentAdded(aid(s.n), total), now);
        break;
      }
      case 'removeAgent':
        totals.delete(aid(s.n));
        outstanding = outstanding.filter((o) => o.agentId !== aid(s.n));
        a.apply({ type: 'agentRemoved', agentId: aid(s.n) }, now);
        break;
      case 'framework':
        a.apply(frameworkAdded(fid(s.n), { roles: s.roles, caps: { gpuResources: s.gpu } }), now);
        break;
      case 'removeFramework':
        outstanding = outstanding.filter((o) => o.frameworkId !== fid(s.n));
        a.apply({ type: 'frameworkRemoved', frameworkId: fid(s.n) }, now);
        break;
      case 'cycle': {
        now += s.dt;
        const offers = a.cycle(now);
        log.push(...show(offers));
        outstanding.push(...offers);
        for (const [agentId, total] of totals) {
          const held = outstanding.filter((o) => o.agentId === agentId).reduce((acc, o) => acc.plus(o.resources.unallocated()), Resources.EMPTY);
          expect(total.contains(held), `agent ${agentId} over-offered: ${held.toString()} > ${total.toString()}`).toBe(true);
        }
        for (const o of offers) {
          expect(totals.has(o.agentId)).toBe(true);
          expect(o.resources.entries.every((e) => e.allocationRole === o.role)).toBe(true);
          // Reserved resources reach only their role and its descendants.
          for (const e of o.resources.entries) {
            const r = reservationRole(e);
            expect(r === '*' || o.role === r || o.role.startsWith(`${r}/`), `${e.name}(${r}) offered to ${o.role}`).toBe(true);
          }
        }
        const r1Unreserved = outstanding
          .filter((o) => o.role === 'r1' || o.role.startsWith('r1/'))
          .reduce((n, o) => n + o.resources.unreserved().scalar('cpus'), 0);
        expect(r1Unreserved).toBeLessThanOrEqual(R1_CPU_LIMIT);
        break;
      }
      case 'decline': {
        if (outstanding.length === 0) break;
        const i = s.pick % outstanding.length;
        const o = outstanding[i] as OfferBatch;
        const keep = Resources.scalar('cpus', 1).allocate(o.role);
        if (s.part && o.resources.contains(keep)) {
          // Return all but one unreserved cpu (as if a task kept it).
          const returned = o.resources.minus(keep);
          a.apply({ type: 'resourcesRecovered', frameworkId: o.frameworkId, agentId: o.agentId, resources: returned, refuseMs: s.refuseMs }, now);
          outstanding[i] = { ...o, resources: keep };
        } else {
          a.apply(decline(o, s.refuseMs), now);
          outstanding.splice(i, 1);
        }
        break;
      }
      case 'suppress':
      case 'revive':
        a.apply({ type: s.k, frameworkId: fid(s.n), roles: [s.role] }, now);
        break;
    }
  }
  return log;
}

/** An allocator with the r1 cpu limit that `replay` checks. */
function limited(seed: number): DrfAllocator {
  const a = makeAllocator({}, seed);
  a.apply({ type: 'quotaUpdated', role: 'r1', guarantees: new Map(), limits: new Map([['cpus', R1_CPU_LIMIT]]) }, 0);
  return a;
}

describe('allocator properties', () => {
  it('never offers more than an agent has, nor the same resources twice; reservations reach only their role subtree; quota limits hold', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 80 }), fc.nat(), (steps, seed) => {
        replay(limited(seed), steps);
      }),
      { numRuns: 200 },
    );
  });

  it('is deterministic: same events and seed give the same offers', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), fc.nat(), (steps, seed) => {
        expect(replay(limited(seed), steps)).toEqual(replay(limited(seed), steps));
      }),
      { numRuns: 100 },
    );
  });

  it('a different seed visits agents in a different order', () => {
    const run = (seed: number): string[] => {
      const a = makeAllocator({}, seed);
      for (let i = 0; i < 3; i++) a.apply(frameworkAdded(fid(i)), 0);
      for (let i = 0; i < 20; i++) a.apply(agentAdded(aid(i), 'cpus:1;mem:64'), 0);
      return show(a.cycle(0));
    };
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
  });

  it('DRF: equal frameworks on identical agents get counts within one of each other', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 40 }), fc.nat(), (frameworks, agents, seed) => {
        const a = makeAllocator({}, seed);
        for (let i = 0; i < frameworks; i++) a.apply(frameworkAdded(fid(i)), 0);
        for (let i = 0; i < agents; i++) a.apply(agentAdded(aid(i), 'cpus:2;mem:128'), 0);
        const counts = new Map<string, number>();
        for (const o of a.cycle(0)) counts.set(o.frameworkId, (counts.get(o.frameworkId) ?? 0) + 1);
        const values = Array.from({ length: frameworks }, (_, i) => counts.get(fid(i)) ?? 0);
        expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
        expect(values.reduce((x, y) => x + y, 0)).toBe(agents);
      }),
      { numRuns: 100 },
    );
  });
});
