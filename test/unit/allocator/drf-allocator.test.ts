import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { Resources, parseResources } from '../../../src/core/resources.js';
import type { OfferBatch } from '../../../src/master/allocator/index.js';
import { agentAdded, aid, decline, describe as show, fid, frameworkAdded, makeAllocator } from './fixtures.js';

function only(offers: readonly OfferBatch[]): OfferBatch {
  expect(offers).toHaveLength(1);
  return offers[0] as OfferBatch;
}

describe('DrfAllocator basics', () => {
  it('offers all of an agent to one framework, once, marked with the role', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1), { roles: ['web'] }), 0);
    a.apply(agentAdded(aid(1), 'cpus:4;mem:1024;ports:[31000-31010]'), 0);
    const o = only(a.cycle(0));
    expect(o).toMatchObject({ frameworkId: fid(1), agentId: aid(1), role: 'web' });
    expect(o.resources.equals(parseResources('cpus:4;mem:1024;ports:[31000-31010]').allocate('web'))).toBe(true);
    expect(o.resources.entries.every((e) => e.allocationRole === 'web')).toBe(true);
    expect(a.cycle(1000)).toEqual([]); // still outstanding: never offered twice
    expect(a.lastCycleStarvation()).toEqual([{ frameworkId: fid(1), role: 'web', reason: 'no_resources', filteredAgents: 0 }]);
  });

  it('offers reservations only to their role and its descendants', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1), { roles: ['ads'] }), 0);
    a.apply(frameworkAdded(fid(2), { roles: ['eng/frontend'] }), 0);
    a.apply(agentAdded(aid(1), 'cpus(eng):2;mem(eng):512'), 0);
    const o = only(a.cycle(0));
    expect(o.frameworkId).toBe(fid(2));
    expect(o.role).toBe('eng/frontend');
    expect(o.resources.scalar('cpus')).toBe(2);
  });

  it('gives what is left after one role to the next role in DRF order', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1), { roles: ['ads'] }), 0);
    a.apply(frameworkAdded(fid(2), { roles: ['web'] }), 0);
    a.apply(agentAdded(aid(1), 'cpus(web):2;cpus:2;mem:512'), 0);
    // Both roles at share 0: 'ads' first by name; it takes the unreserved part, 'web' gets its reservation.
    expect(show(a.cycle(0))).toEqual(['fw-1@agent-1(ads): cpus:2;mem:512', 'fw-2@agent-1(web): cpus(web):2']);
  });

  it('skips deactivated agents and inactive frameworks', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1), { active: false }), 0);
    a.apply(agentAdded(aid(1), 'cpus:1;mem:64'), 0);
    expect(a.cycle(0)).toEqual([]);
    expect(a.lastCycleStarvation()[0]?.reason).toBe('inactive');
    a.apply({ type: 'frameworkActivated', frameworkId: fid(1) }, 0);
    a.apply({ type: 'agentDeactivated', agentId: aid(1) }, 0);
    expect(a.cycle(0)).toEqual([]);
    a.apply({ type: 'agentActivated', agentId: aid(1) }, 0);
    expect(a.cycle(0)).toHaveLength(1);
  });

  it('ignores unknown ids', () => {
    const a = makeAllocator();
    expect(() => {
      a.apply({ type: 'agentRemoved', agentId: aid(9) }, 0);
      a.apply({ type: 'frameworkRemoved', frameworkId: fid(9) }, 0);
      a.apply({ type: 'resourcesRecovered', frameworkId: fid(9), agentId: aid(9), resources: Resources.scalar('cpus', 1), refuseMs: 5000 }, 0);
      a.apply({ type: 'revive', frameworkId: fid(9), roles: [] }, 0);
      a.apply({ type: 'agentDeactivated', agentId: aid(9) }, 0);
    }).not.toThrow();
    expect(a.cycle(0)).toEqual([]);
  });
});

describe('DRF order', () => {
  it('gives the next agent to the framework with the smaller dominant share', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1)), 0);
    a.apply(frameworkAdded(fid(2)), 0);
    // fw-1 already uses 40% of mem, fw-2 20% of cpus: fw-2 has the smaller dominant share.
    a.apply(agentAdded(aid(0), 'cpus:10;mem:1000', new Map([[fid(1), parseResources('mem:400').allocate('*')], [fid(2), parseResources('cpus:2').allocate('*')]])), 0);
    a.apply(agentAdded(aid(1), 'cpus:1;mem:100'), 0);
    a.apply({ type: 'agentDeactivated', agentId: aid(0) }, 0);
    expect(only(a.cycle(0)).frameworkId).toBe(fid(2));
  });

  it('alternates between equal frameworks as their shares grow', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1)), 0);
    a.apply(frameworkAdded(fid(2)), 0);
    for (let i = 0; i < 4; i++) a.apply(agentAdded(aid(i), 'cpus:1;mem:100'), 0);
    const byFw = new Map<string, number>();
    for (const o of a.cycle(0)) byFw.set(o.frameworkId, (byFw.get(o.frameworkId) ?? 0) + 1);
    expect(byFw).toEqual(new Map([[fid(1), 2], [fid(2), 2]]));
  });

  it('weights: a role with weight 3 gets three times the agents', () => {
    const a = makeAllocator({ roleWeights: new Map([['big', 3]]) });
    a.apply(frameworkAdded(fid(1), { roles: ['big'] }), 0);
    a.apply(frameworkAdded(fid(2), { roles: ['small'] }), 0);
    for (let i = 0; i < 8; i++) a.apply(agentAdded(aid(i), 'cpus:1;mem:100'), 0);
    const counts = new Map<string, number>();
    for (const o of a.cycle(0)) counts.set(o.role, (counts.get(o.role) ?? 0) + 1);
    expect(counts).toEqual(new Map([['big', 6], ['small', 2]]));
    expect(a.roleShares().get('big')).toBeCloseTo(0.75 / 3);
    expect(a.roleShares().get('small')).toBeCloseTo(0.25);
  });

  it('weightsUpdated changes the order', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1), { roles: ['x'] }), 0);
    a.apply(frameworkAdded(fid(2), { roles: ['y'] }), 0);
    a.apply({ type: 'weightsUpdated', weights: new Map([['y', 2]]) }, 0);
    a.apply(agentAdded(aid(0), 'cpus:2;mem:200', new Map([[fid(1), parseResources('cpus:1').allocate('x')], [fid(2), parseResources('cpus:1').allocate('y')]])), 0);
    a.apply(agentAdded(aid(1), 'cpus:2;mem:200'), 0);
    a.apply({ type: 'agentDeactivated', agentId: aid(0) }, 0);
    expect(only(a.cycle(0)).role).toBe('y');
  });
});

describe('refuse filters', () => {
  it('declined resources are not re-offered until max(refuse, interval) passes, then are', async () => {
    const clock = new FakeClock(0);
    const a = makeAllocator({ allocationIntervalMs: 1000 });
    a.apply(frameworkAdded(fid(1)), clock.now());
    a.apply(agentAdded(aid(1), 'cpus:4;mem:1024'), clock.now());
    a.apply(decline(only(a.cycle(clock.now())), 5000), clock.now());
    expect(a.activeFilters()).toEqual(new Map([['*', 1]]));
    await clock.advance(4999);
    expect(a.cycle(clock.now())).toEqual([]);
    expect(a.lastCycleStarvation()).toEqual([{ frameworkId: fid(1), role: '*', reason: 'filtered', filteredAgents: 1 }]);
    await clock.advance(1);
    expect(only(a.cycle(clock.now())).agentId).toBe(aid(1));
    expect(a.activeFilters().size).toBe(0);
  });

  it('a refuse shorter than the allocation interval lasts the interval; 0 installs no filter', () => {
    const a = makeAllocator({ allocationIntervalMs: 3000 });
    a.apply(frameworkAdded(fid(1)), 0);
    a.apply(agentAdded(aid(1), 'cpus:4;mem:1024'), 0);
    a.apply(decline(only(a.cycle(0)), 100), 0);
    expect(a.cycle(2999)).toEqual([]);
    a.apply(decline(only(a.cycle(3000)), 0), 3000);
    expect(a.cycle(3000)).toHaveLength(1);
  });

  it('filters only a subset of the refused resources: more resources are offered again', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1)), 0);
    a.apply(agentAdded(aid(1), 'cpus:4;mem:1024'), 0);
    const first = only(a.cycle(0));
    // Keep cpus:1 (a task), decline the rest with a long filter.
    const kept = parseResources('cpus:1').allocate('*');
    a.apply({ type: 'resourcesRecovered', frameworkId: fid(1), agentId: aid(1), resources: first.resources.minus(kept), refuseMs: 60_000 }, 0);
    expect(a.cycle(1000)).toEqual([]);
    // The task ends: cpus:4;mem:1024 is not contained in the refused cpus:3;mem:1024.
    a.apply({ type: 'resourcesRecovered', frameworkId: fid(1), agentId: aid(1), resources: kept }, 1000);
    expect(only(a.cycle(2000)).resources.scalar('cpus')).toBe(4);
  });

  it('deactivating a framework drops its filters', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1)), 0);
    a.apply(agentAdded(aid(1), 'cpus:4;mem:1024'), 0);
    a.apply(decline(only(a.cycle(0)), 60_000), 0);
    a.apply({ type: 'frameworkDeactivated', frameworkId: fid(1) }, 0);
    a.apply({ type: 'frameworkActivated', frameworkId: fid(1) }, 0);
    expect(only(a.cycle(1000)).frameworkId).toBe(fid(1));
  });

  it('a filter of one framework does not stop another', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1)), 0);
    a.apply(agentAdded(aid(1), 'cpus:4;mem:1024'), 0);
    a.apply(decline(only(a.cycle(0)), 60_000), 0);
    a.apply(frameworkAdded(fid(2)), 0);
    expect(only(a.cycle(0)).frameworkId).toBe(fid(2));
  });

  it('REVIVE clears the role filters', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1), { roles: ['a', 'b'] }), 0);
    a.apply(agentAdded(aid(1), 'cpus:4;mem:1024'), 0);
    a.apply(decline(only(a.cycle(0)), 60_000), 0);
    expect(a.cycle(1000)).toHaveLength(1); // offered to the other role
    expect(a.cycle(1000)).toEqual([]);
    a.apply({ type: 'revive', frameworkId: fid(1), roles: [] }, 1000);
    expect(a.activeFilters().size).toBe(0);
  });

  it('REVIVE of one role leaves the other role filtered', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1), { roles: ['a', 'b'] }), 0);
    a.apply(agentAdded(aid(1), 'cpus:4;mem:1024'), 0);
    const o1 = only(a.cycle(0));
    a.apply(decline(o1, 60_000), 0);
    const o2 = only(a.cycle(0));
    a.apply(decline(o2, 60_000), 0);
    expect(a.cycle(0)).toEqual([]);
    a.apply({ type: 'revive', frameworkId: fid(1), roles: [o2.role] }, 0);
    expect(only(a.cycle(0)).role).toBe(o2.role);
    expect(a.activeFilters()).toEqual(new Map([[o1.role, 1]]));
  });
});

describe('suppress, min allocatable, GPUs, revocable', () => {
  it('SUPPRESS stops offers for that role only; REVIVE resumes them', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1), { roles: ['a', 'b'] }), 0);
    a.apply({ type: 'suppress', frameworkId: fid(1), roles: ['a'] }, 0);
    a.apply(agentAdded(aid(1), 'cpus:4;mem:1024'), 0);
    const o = only(a.cycle(0));
    expect(o.role).toBe('b');
    a.apply(decline(o), 0);
    a.apply({ type: 'suppress', frameworkId: fid(1), roles: [] }, 0);
    expect(a.cycle(0)).toEqual([]);
    expect(a.lastCycleStarvation().map((s) => s.reason)).toEqual(['suppressed', 'suppressed']);
    a.apply({ type: 'revive', frameworkId: fid(1), roles: ['a'] }, 0);
    expect(only(a.cycle(0)).role).toBe('a');
  });

  it('does not offer less than every min_allocatable shape', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1)), 0);
    a.apply(agentAdded(aid(1), 'cpus:0.005;mem:16;disk:100'), 0);
    a.apply(agentAdded(aid(2), 'cpus:0.01'), 0);
    a.apply(agentAdded(aid(3), 'mem:32'), 0);
    const agents = a.cycle(0).map((o) => o.agentId).sort();
    expect(agents).toEqual([aid(2), aid(3)]);
  });

  it('per-role offer_filters override the global minimum', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1), { roles: ['r'], minAllocatable: new Map([['r', [{ cpus: 2, mem: 100 }]]]) }), 0);
    a.apply(agentAdded(aid(1), 'cpus:1;mem:1000'), 0);
    a.apply(agentAdded(aid(2), 'cpus:2;mem:100'), 0);
    expect(only(a.cycle(0)).agentId).toBe(aid(2));
    expect(a.lastCycleStarvation()).toEqual([]);
  });

  it('GPU agents go only to GPU_RESOURCES frameworks when filterGpuResources', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1)), 0);
    a.apply(agentAdded(aid(1), 'cpus:4;mem:1024;gpus:1'), 0);
    expect(a.cycle(0)).toEqual([]);
    expect(a.lastCycleStarvation()[0]?.reason).toBe('filtered');
    a.apply(frameworkAdded(fid(2), { caps: { gpuResources: true } }), 0);
    expect(only(a.cycle(0)).frameworkId).toBe(fid(2));

    const b = makeAllocator({ filterGpuResources: false });
    b.apply(frameworkAdded(fid(1)), 0);
    b.apply(agentAdded(aid(1), 'cpus:4;mem:1024;gpus:1'), 0);
    expect(only(b.cycle(0)).frameworkId).toBe(fid(1));
  });

  it('revocable resources go only to REVOCABLE_RESOURCES frameworks', () => {
    const total = parseResources('cpus:4;mem:1024').plus(Resources.of([{ name: 'cpus', kind: 'SCALAR', milli: 2000, reservations: [], revocable: true }]));
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1)), 0);
    a.apply(agentAdded(aid(1), total), 0);
    const o = only(a.cycle(0));
    expect(o.resources.entries.some((e) => e.revocable === true)).toBe(false);
    a.apply(frameworkAdded(fid(2), { caps: { revocable: true } }), 0);
    const r = only(a.cycle(0));
    expect(r.frameworkId).toBe(fid(2));
    expect(r.resources.entries.every((e) => e.revocable === true)).toBe(true);
  });
});

describe('recovery and removal', () => {
  it("a removed framework's resources come back and go to another framework", () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1)), 0);
    a.apply(agentAdded(aid(1), 'cpus:4;mem:1024'), 0);
    only(a.cycle(0));
    a.apply(frameworkAdded(fid(2)), 0);
    expect(a.cycle(0)).toEqual([]);
    a.apply({ type: 'frameworkRemoved', frameworkId: fid(1) }, 0);
    const o = only(a.cycle(0));
    expect(o.frameworkId).toBe(fid(2));
    expect(o.resources.scalar('cpus')).toBe(4);
    expect(a.roleShares().get('*')).toBeCloseTo(1);
  });

  it('agentRemoved forgets the agent and what was held on it', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1)), 0);
    a.apply(agentAdded(aid(1), 'cpus:4;mem:1024'), 0);
    a.apply(agentAdded(aid(2), 'cpus:4;mem:1024'), 0);
    expect(a.cycle(0)).toHaveLength(2);
    a.apply({ type: 'agentRemoved', agentId: aid(1) }, 0);
    expect(a.roleShares().get('*')).toBeCloseTo(1);
    expect(a.freeOn(aid(1))).toBeUndefined();
    a.apply({ type: 'resourcesRecovered', frameworkId: fid(1), agentId: aid(2), resources: parseResources('cpus:4;mem:1024').allocate('*') }, 0);
    expect(show(a.cycle(0))).toEqual(['fw-1@agent-2(*): cpus:4;mem:1024']);
  });

  it('used resources (master failover) count as allocated, once, whichever side reports them', () => {
    const a = makeAllocator();
    const used = parseResources('cpus:3;mem:512').allocate('r');
    a.apply(agentAdded(aid(1), 'cpus:4;mem:1024', new Map([[fid(1), used]])), 0);
    a.apply(frameworkAdded(fid(1), { roles: ['r'], used: new Map([[aid(1), used]]) }), 0);
    const o = only(a.cycle(0));
    expect(o.resources.equals(parseResources('cpus:1;mem:512').allocate('r'))).toBe(true);
    a.apply({ type: 'resourcesRecovered', frameworkId: fid(1), agentId: aid(1), resources: used }, 0);
    expect(a.freeOn(aid(1))?.equals(parseResources('cpus:3;mem:512'))).toBe(true);
  });

  it('resourcesUsed takes resources out of the free pool', () => {
    const a = makeAllocator();
    a.apply(agentAdded(aid(1), 'cpus:4;mem:1024'), 0);
    a.apply(frameworkAdded(fid(1)), 0);
    a.apply({ type: 'resourcesUsed', frameworkId: fid(1), agentId: aid(1), resources: parseResources('cpus:4').allocate('*') }, 0);
    expect(show(a.cycle(0))).toEqual(['fw-1@agent-1(*): mem:1024']);
  });

  it('recovering more than was held never grows the free pool beyond the total', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1)), 0);
    a.apply(agentAdded(aid(1), 'cpus:4;mem:1024'), 0);
    const o = only(a.cycle(0));
    a.apply(decline(o), 0);
    a.apply(decline(o), 0); // duplicate: nothing is held any more
    a.apply({ type: 'resourcesRecovered', frameworkId: fid(1), agentId: aid(1), resources: parseResources('cpus:100').allocate('*') }, 0);
    expect(a.freeOn(aid(1))?.equals(parseResources('cpus:4;mem:1024'))).toBe(true);
  });

  it('frameworkUpdated adds and drops roles; dropped roles lose their filters', () => {
    const a = makeAllocator();
    a.apply(frameworkAdded(fid(1), { roles: ['a'] }), 0);
    a.apply(agentAdded(aid(1), 'cpus:4;mem:1024'), 0);
    a.apply(decline(only(a.cycle(0)), 60_000), 0);
    const caps = { gpuResources: false, multiRole: true, revocable: false };
    a.apply({ type: 'frameworkUpdated', frameworkId: fid(1), roles: ['b'], suppressedRoles: [], capabilities: caps }, 0);
    expect(a.activeFilters().size).toBe(0);
    expect(only(a.cycle(0)).role).toBe('b');
    expect([...a.roleShares().keys()]).toEqual(['b']);
  });

  it('exposes the seed of the last cycle', () => {
    const a = makeAllocator();
    expect(a.lastCycleSeed()).toBeUndefined();
    a.cycle(0);
    const s1 = a.lastCycleSeed();
    a.cycle(0);
    expect(typeof s1).toBe('number');
    expect(a.lastCycleSeed()).not.toBe(s1);
  });
});
