// Upstream allocator behaviours as table cases (issue 4): each row sets up a small cluster, applies
// events and checks who is offered what. The master-level maintenance cases ("an inverse offer is answered
// by draining") are in test/unit/master/maintenance.test.ts.
import { describe, expect, it } from 'vitest';
import type { AllocatorEvent, OfferBatch } from '../../../src/master/allocator/index.js';
import type { DrfAllocator } from '../../../src/master/allocator/index.js';
import { agentAdded, aid, decline, fid, frameworkAdded, makeAllocator } from './fixtures.js';

interface Row {
  readonly name: string;
  readonly run: (a: DrfAllocator) => unknown;
  readonly expected: unknown;
}

function rolesOf(offers: readonly OfferBatch[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of offers) out[o.role] = (out[o.role] ?? 0) + 1;
  return out;
}

function quota(role: string, guarantees: Record<string, number>, limits: Record<string, number> = {}): AllocatorEvent {
  return { type: 'quotaUpdated', role, guarantees: new Map(Object.entries(guarantees)), limits: new Map(Object.entries(limits)) };
}

function twoRoles(a: DrfAllocator, agents: number, resources = 'cpus:1;mem:100'): void {
  a.apply(frameworkAdded(fid(1), { roles: ['x'] }), 0);
  a.apply(frameworkAdded(fid(2), { roles: ['y'] }), 0);
  for (let i = 0; i < agents; i++) a.apply(agentAdded(aid(i), resources), 0);
}

const ROWS: readonly Row[] = [
  { name: 'equal weights split 8 agents 4:4', run: (a) => (twoRoles(a, 8), rolesOf(a.cycle(0))), expected: { x: 4, y: 4 } },
  {
    name: 'weights shift shares: x weight 3 takes 6 of 8 agents',
    run: (a) => (a.apply({ type: 'weightsUpdated', weights: new Map([['x', 3]]) }, 0), twoRoles(a, 8), rolesOf(a.cycle(0))),
    expected: { x: 6, y: 2 },
  },
  {
    name: 'weights shift shares: y weight 7 takes 7 of 8 agents',
    run: (a) => (a.apply({ type: 'weightsUpdated', weights: new Map([['y', 7]]) }, 0), twoRoles(a, 8), rolesOf(a.cycle(0))),
    expected: { x: 1, y: 7 },
  },
  {
    name: 'revive clears filters: a declined agent comes back at once after REVIVE',
    run: (a) => {
      a.apply(frameworkAdded(fid(1), { roles: ['x'] }), 0);
      a.apply(agentAdded(aid(0), 'cpus:1;mem:100'), 0);
      for (const o of a.cycle(0)) a.apply(decline(o, 3_600_000), 0);
      const before = a.cycle(1000).length;
      a.apply({ type: 'revive', frameworkId: fid(1), roles: ['x'] }, 1000);
      return [before, a.cycle(1000).length];
    },
    expected: [0, 1],
  },
  {
    name: 'suppress stops offers for that role only: the other role of the framework and other frameworks still get offers',
    run: (a) => {
      a.apply(frameworkAdded(fid(1), { roles: ['x', 'z'] }), 0);
      a.apply(frameworkAdded(fid(2), { roles: ['x'] }), 0);
      a.apply({ type: 'suppress', frameworkId: fid(1), roles: ['x'] }, 0);
      for (let i = 0; i < 4; i++) a.apply(agentAdded(aid(i), 'cpus:1;mem:100'), 0);
      return a
        .cycle(0)
        .map((o) => `${o.frameworkId}/${o.role}`)
        .sort();
    },
    expected: ['fw-1/z', 'fw-1/z', 'fw-2/x', 'fw-2/x'],
  },
  {
    name: 'a cpus-only guarantee brings mem along (stage 1 offers are usable)',
    run: (a) => {
      a.apply(quota('q', { cpus: 2 }, { cpus: 2 }), 0);
      a.apply(frameworkAdded(fid(1), { roles: ['q'] }), 0);
      a.apply(frameworkAdded(fid(2), { roles: ['other'] }), 0);
      a.apply(agentAdded(aid(0), 'cpus:4;mem:1000'), 0);
      const q = a.cycle(0).find((o) => o.role === 'q');
      return [q?.resources.scalar('cpus'), (q?.resources.scalar('mem') ?? 0) > 0];
    },
    expected: [2, true],
  },
  {
    name: 'a targeted cycle (new agent) visits only the marked agents',
    run: (a) => {
      twoRoles(a, 4);
      const all = a.cycle(0);
      for (const o of all) a.apply(decline(o), 0);
      return a.cycle(1000, new Set([aid(2)])).map((o) => o.agentId);
    },
    expected: [aid(2)],
  },
  {
    name: 'a targeted cycle keeps the last full cycle\'s starvation report',
    run: (a) => {
      a.apply(frameworkAdded(fid(1), { roles: ['x'] }), 0);
      a.apply(agentAdded(aid(0), 'cpus:1;mem:100'), 0);
      const offered = a.cycle(0).length;
      // Nothing is free on agent 0 now: a full cycle would report no_resources for fw-1.
      a.cycle(0, new Set([aid(0)]));
      return [offered, a.lastCycleStarvation().map((r) => r.reason)];
    },
    expected: [1, []],
  },
];

describe('upstream allocator behaviours (table)', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    expect(row.run(makeAllocator())).toEqual(row.expected);
  });
});
