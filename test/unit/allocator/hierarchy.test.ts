import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OfferBatch } from '../../../src/master/allocator/index.js';
import { roleAndAncestors } from '../../../src/master/allocator/index.js';
import { agentAdded, aid, fid, frameworkAdded, makeAllocator } from './fixtures.js';

/** Agents received per role (each agent goes wholly to one framework in these cases). */
function perRole(offers: readonly OfferBatch[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const o of offers) out.set(o.role, (out.get(o.role) ?? 0) + 1);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

describe('hierarchical DRF', () => {
  it("a role's share includes its sub-roles: eng (two sub-roles) and ops split the cluster evenly", () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1), { roles: ['eng/web'] }), 0);
    a.apply(frameworkAdded(fid(2), { roles: ['eng/api'] }), 0);
    a.apply(frameworkAdded(fid(3), { roles: ['ops'] }), 0);
    for (let i = 0; i < 8; i++) a.apply(agentAdded(aid(i), 'cpus:1;mem:100'), 0);
    // Flat DRF over three roles would give ops 8/3 agents; hierarchical gives it half.
    expect(perRole(a.cycle(0))).toEqual(new Map([['eng/api', 2], ['eng/web', 2], ['ops', 4]]));
    expect(a.roleShares().get('eng')).toBeCloseTo(0.5);
    expect(a.roleShares().get('eng/web')).toBeCloseTo(0.25);
    expect(a.roleShares().get('ops')).toBeCloseTo(0.5);
  });

  it('frameworks of an inner role compete with its sub-roles through a virtual leaf', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1), { roles: ['eng'] }), 0);
    a.apply(frameworkAdded(fid(2), { roles: ['eng/web'] }), 0);
    a.apply(frameworkAdded(fid(3), { roles: ['ops'] }), 0);
    for (let i = 0; i < 8; i++) a.apply(agentAdded(aid(i), 'cpus:1;mem:100'), 0);
    expect(perRole(a.cycle(0))).toEqual(new Map([['eng', 2], ['eng/web', 2], ['ops', 4]]));
  });

  it('weights apply at their level: eng/web weight 3 vs eng/api 1 inside eng; eng vs ops unchanged', () => {
    const a = makeAllocator({ roleWeights: new Map([['eng/web', 3]]) });
    a.apply(frameworkAdded(fid(1), { roles: ['eng/web'] }), 0);
    a.apply(frameworkAdded(fid(2), { roles: ['eng/api'] }), 0);
    a.apply(frameworkAdded(fid(3), { roles: ['ops'] }), 0);
    for (let i = 0; i < 16; i++) a.apply(agentAdded(aid(i), 'cpus:1;mem:100'), 0);
    expect(perRole(a.cycle(0))).toEqual(new Map([['eng/api', 2], ['eng/web', 6], ['ops', 8]]));
  });

  it('a weight on a parent role shifts its whole subtree', () => {
    const a = makeAllocator();
    a.apply({ type: 'weightsUpdated', weights: new Map([['eng', 3]]) }, 0);
    a.apply(frameworkAdded(fid(1), { roles: ['eng/web'] }), 0);
    a.apply(frameworkAdded(fid(2), { roles: ['eng/api'] }), 0);
    a.apply(frameworkAdded(fid(3), { roles: ['ops'] }), 0);
    for (let i = 0; i < 8; i++) a.apply(agentAdded(aid(i), 'cpus:1;mem:100'), 0);
    expect(perRole(a.cycle(0))).toEqual(new Map([['eng/api', 3], ['eng/web', 3], ['ops', 2]]));
  });

  it('a removed sub-role leaves the tree; its parent goes back to being a leaf', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1), { roles: ['eng'] }), 0);
    a.apply(frameworkAdded(fid(2), { roles: ['eng/web'] }), 0);
    a.apply({ type: 'frameworkRemoved', frameworkId: fid(2) }, 0);
    a.apply(agentAdded(aid(0), 'cpus:1;mem:100'), 0);
    expect(perRole(a.cycle(0))).toEqual(new Map([['eng', 1]]));
    expect([...a.roleShares().keys()]).toEqual(['eng']);
  });

  it('property: with identical agents and equal weights, siblings at every level differ by at most one agent', () => {
    const PATHS = ['a', 'a/x', 'a/y', 'a/y/p', 'a/y/q', 'b', 'b/z', 'c'];
    fc.assert(
      fc.property(fc.subarray(PATHS, { minLength: 1 }), fc.integer({ min: 1, max: 40 }), fc.nat(1000), (roles, agents, seed) => {
        const a = makeAllocator({}, seed);
        roles.forEach((r, i) => a.apply(frameworkAdded(fid(i), { roles: [r] }), 0));
        for (let i = 0; i < agents; i++) a.apply(agentAdded(aid(i), 'cpus:2;mem:200'), 0);
        const offers = a.cycle(0);
        expect(offers.length).toBe(agents);
        // Agents per subtree ("leaf" = the role's own frameworks, competing with its children).
        const got = new Map<string, number>();
        for (const o of offers) {
          for (const anc of roleAndAncestors(o.role)) got.set(anc, (got.get(anc) ?? 0) + 1);
          got.set(`${o.role}/.`, (got.get(`${o.role}/.`) ?? 0) + 1);
        }
        const present = new Set(roles.flatMap((r) => roleAndAncestors(r)));
        const parents = new Set(['', ...present]);
        for (const p of parents) {
          const kids = [...present].filter((r) => (p === '' ? !r.includes('/') : r.startsWith(`${p}/`) && !r.slice(p.length + 1).includes('/')));
          if (kids.length === 0) continue;
          const competitors = roles.includes(p) ? [...kids, `${p}/.`] : kids;
          const counts = competitors.map((c) => got.get(c) ?? 0);
          expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 200 },
    );
  });
});
