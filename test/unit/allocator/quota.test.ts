import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AllocatorEvent, OfferBatch } from '../../../src/master/allocator/index.js';
import { roleAndAncestors } from '../../../src/master/allocator/index.js';
import { agentAdded, aid, decline, fid, frameworkAdded, makeAllocator } from './fixtures.js';

function quota(role: string, guarantees: Record<string, number>, limits: Record<string, number> = {}): AllocatorEvent {
  return { type: 'quotaUpdated', role, guarantees: new Map(Object.entries(guarantees)), limits: new Map(Object.entries(limits)) };
}

/** Scalar held per role subtree from outstanding offers. */
function heldBy(offers: readonly OfferBatch[], role: string, name: string): number {
  let n = 0;
  for (const o of offers) if (roleAndAncestors(o.role).includes(role)) n += o.resources.scalar(name);
  return n;
}

describe('quota', () => {
  it('limits chop offers: a role never holds more than its limit', () => {
    const a = makeAllocator();
    a.apply(quota('a', {}, { cpus: 3 }), 0);
    a.apply(frameworkAdded(fid(1), { roles: ['a'] }), 0);
    for (let i = 0; i < 3; i++) a.apply(agentAdded(aid(i), 'cpus:2;mem:100'), 0);
    const offers = a.cycle(0);
    expect(heldBy(offers, 'a', 'cpus')).toBe(3);
    expect(heldBy(offers, 'a', 'mem')).toBe(300); // mem has no limit
  });

  it('a limit on a parent role binds its sub-roles together', () => {
    const a = makeAllocator();
    a.apply(quota('eng', {}, { cpus: 4 }), 0);
    a.apply(frameworkAdded(fid(1), { roles: ['eng/web'] }), 0);
    a.apply(frameworkAdded(fid(2), { roles: ['eng/api'] }), 0);
    for (let i = 0; i < 4; i++) a.apply(agentAdded(aid(i), 'cpus:2;mem:100'), 0);
    expect(heldBy(a.cycle(0), 'eng', 'cpus')).toBe(4);
  });

  it('reports quota_limit for a framework whose every offer was chopped to nothing', () => {
    const a = makeAllocator();
    a.apply(quota('a', {}, { cpus: 2, mem: 100 }), 0);
    a.apply(frameworkAdded(fid(1), { roles: ['a'] }), 0);
    a.apply(agentAdded(aid(0), 'cpus:2;mem:100'), 0);
    expect(a.cycle(0)).toHaveLength(1);
    a.apply(agentAdded(aid(1), 'cpus:2;mem:100'), 0);
    expect(a.cycle(1000)).toHaveLength(0);
    expect(a.lastCycleStarvation()).toEqual([{ frameworkId: fid(1), role: 'a', reason: 'quota_limit', filteredAgents: 0 }]);
  });

  it('guarantees are met first, before DRF between roles', () => {
    const a = makeAllocator();
    a.apply(quota('z', { cpus: 6 }), 0);
    a.apply(frameworkAdded(fid(1), { roles: ['a'] }), 0);
    a.apply(frameworkAdded(fid(2), { roles: ['z'] }), 0);
    for (let i = 0; i < 4; i++) a.apply(agentAdded(aid(i), 'cpus:2;mem:100'), 0);
    const offers = a.cycle(0);
    expect(heldBy(offers, 'z', 'cpus')).toBeGreaterThanOrEqual(6);
    // One offer per framework, role and agent even when stage 2 adds to a stage-1 offer.
    const keys = offers.map((o) => `${o.frameworkId}/${o.role}/${o.agentId}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('holds back headroom for an unmet guarantee whose role has no framework yet', () => {
    const a = makeAllocator();
    a.apply(quota('z', { cpus: 6 }), 0);
    a.apply(frameworkAdded(fid(1), { roles: ['a'] }), 0);
    for (let i = 0; i < 4; i++) a.apply(agentAdded(aid(i), 'cpus:2;mem:100'), 0);
    const offers = a.cycle(0);
    expect(heldBy(offers, 'a', 'cpus')).toBe(2);
    // Once z's framework arrives, the held-back cpus go to it.
    a.apply(frameworkAdded(fid(2), { roles: ['z'] }), 0);
    expect(heldBy(a.cycle(1000), 'z', 'cpus')).toBe(6);
  });

  it('removing a quota (empty guarantees and limits) lifts the limit', () => {
    const a = makeAllocator();
    a.apply(quota('a', {}, { cpus: 1 }), 0);
    a.apply(frameworkAdded(fid(1), { roles: ['a'] }), 0);
    a.apply(agentAdded(aid(0), 'cpus:2;mem:100'), 0);
    const first = a.cycle(0);
    expect(heldBy(first, 'a', 'cpus')).toBe(1);
    for (const o of first) a.apply(decline(o), 0);
    a.apply(quota('a', {}), 0);
    expect(heldBy(a.cycle(1000), 'a', 'cpus')).toBe(2);
  });

  it('reservations count towards consumption even when nobody holds them', () => {
    const a = makeAllocator();
    a.apply(quota('a', {}, { cpus: 3 }), 0);
    a.apply(agentAdded(aid(0), 'cpus(a):2;cpus:4;mem:100'), 0);
    a.apply(frameworkAdded(fid(1), { roles: ['a'] }), 0);
    a.apply({ type: 'suppress', frameworkId: fid(1), roles: ['a'] }, 0);
    expect(a.cycle(0)).toHaveLength(0);
    a.apply({ type: 'revive', frameworkId: fid(1), roles: ['a'] }, 0);
    // 2 reserved (always offered to their role) + 1 unreserved = the limit of 3.
    expect(heldBy(a.cycle(1000), 'a', 'cpus')).toBe(3);
  });

  const ROLES = ['a', 'a/x', 'a/y', 'b', 'c'];
  it('property: limits are never exceeded and satisfiable guarantees are met', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.subarray(ROLES, { minLength: 1 }),
        fc.array(fc.record({ role: fc.constantFrom('a', 'b', 'c'), g: fc.integer({ min: 0, max: 6 }), extra: fc.option(fc.integer({ min: 0, max: 6 })) }), { maxLength: 3 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }),
        fc.nat(1000),
        (agents, fwRoles, quotas, declines, seed) => {
          const a = makeAllocator({}, seed);
          const q = new Map<string, { g: number; limit: number | undefined }>();
          for (const x of quotas) {
            const limit = x.extra === null ? undefined : x.g + x.extra;
            q.set(x.role, { g: x.g, limit });
            a.apply(quota(x.role, x.g > 0 ? { cpus: x.g } : {}, limit === undefined ? {} : { cpus: limit }), 0);
          }
          fwRoles.forEach((r, i) => a.apply(frameworkAdded(fid(i), { roles: [r] }), 0));
          for (let i = 0; i < agents; i++) a.apply(agentAdded(aid(i), 'cpus:2;mem:100'), 0);
          const total = agents * 2;
          const sumG = [...q.values()].reduce((n, x) => n + x.g, 0);
          let outstanding: OfferBatch[] = [];
          let now = 0;
          for (let round = 0; round < declines.length; round++) {
            const offers = a.cycle(now);
            outstanding = [...outstanding, ...offers];
            for (const [role, x] of q) {
              const held = heldBy(outstanding, role, 'cpus');
              if (x.limit !== undefined) expect(held).toBeLessThanOrEqual(x.limit + 1e-9);
              const hasFw = fwRoles.some((r) => roleAndAncestors(r).includes(role));
              if (round === 0 && hasFw && sumG <= total) expect(held).toBeGreaterThanOrEqual(Math.min(x.g, x.limit ?? Infinity) - 1e-9);
            }
            if (declines[round] === true) {
              for (const o of outstanding) a.apply(decline(o), now);
              outstanding = [];
            }
            now += 1000;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
