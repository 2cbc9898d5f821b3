import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asAgentId } from '../../../src/core/ids.js';
import { Resources, parseResources } from '../../../src/core/resources.js';
import { DrfSorter, scalarQuantities } from '../../../src/master/allocator/index.js';

const A = asAgentId('a1');
const B = asAgentId('a2');

function sorterWithCluster(total = 'cpus:10;mem:100'): DrfSorter {
  const s = new DrfSorter();
  s.setAgentTotal(A, scalarQuantities(parseResources(total)));
  return s;
}

describe('DrfSorter', () => {
  it('orders by dominant share, then allocation count, then name', () => {
    const s = sorterWithCluster();
    for (const c of ['c', 'b', 'a']) s.add(c);
    expect(s.sort()).toEqual(['a', 'b', 'c']);
    s.allocated('a', A, parseResources('cpus:1;mem:50')); // dominant: mem 0.5
    s.allocated('b', A, parseResources('cpus:2;mem:1')); // dominant: cpus 0.2
    expect(s.share('a')).toBeCloseTo(0.5);
    expect(s.share('b')).toBeCloseTo(0.2);
    expect(s.sort()).toEqual(['c', 'b', 'a']);
    s.allocated('c', A, parseResources('cpus:1'));
    s.allocated('c', A, parseResources('cpus:1')); // c: 0.2 with two allocations, b: 0.2 with one
    expect(s.sort()).toEqual(['b', 'c', 'a']);
  });

  it('divides the share by the weight', () => {
    const s = sorterWithCluster();
    s.add('x');
    s.add('y');
    s.setWeight('x', 4);
    s.allocated('x', A, parseResources('cpus:4')); // 0.4 / 4 = 0.1
    s.allocated('y', A, parseResources('cpus:2')); // 0.2
    expect(s.share('x')).toBeCloseTo(0.1);
    expect(s.sort()).toEqual(['x', 'y']);
  });

  it('leaves inactive clients out and keeps returned snapshots unchanged', () => {
    const s = sorterWithCluster();
    s.add('a');
    s.add('b');
    const before = s.sort();
    s.setActive('a', false);
    expect(s.sort()).toEqual(['b']);
    expect(before).toEqual(['a', 'b']);
    s.setActive('a', true);
    s.allocated('a', A, parseResources('cpus:5'));
    expect(s.sort()).toEqual(['b', 'a']);
    s.remove('a');
    expect(s.sort()).toEqual(['b']);
    expect(s.contains('a')).toBe(false);
  });

  it('recomputes shares when cluster totals change and clamps unallocation', () => {
    const s = sorterWithCluster('cpus:10');
    s.add('a');
    s.allocated('a', A, parseResources('cpus:5'));
    expect(s.share('a')).toBeCloseTo(0.5);
    s.setAgentTotal(B, scalarQuantities(parseResources('cpus:10')));
    expect(s.share('a')).toBeCloseTo(0.25);
    s.unallocated('a', A, parseResources('cpus:50'));
    expect(s.share('a')).toBe(0);
    expect(s.allocation('a').size).toBe(0);
  });

  it('property: incremental order equals a from-scratch sort after any sequence of operations', () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const op = fc.oneof(
      fc.record({ k: fc.constant('alloc' as const), c: fc.constantFrom(...names), agent: fc.constantFrom(A, B), cpus: fc.integer({ min: 0, max: 8 }), mem: fc.integer({ min: 0, max: 64 }) }),
      fc.record({ k: fc.constant('free' as const), c: fc.constantFrom(...names), agent: fc.constantFrom(A, B), cpus: fc.integer({ min: 0, max: 8 }), mem: fc.integer({ min: 0, max: 64 }) }),
      fc.record({ k: fc.constant('active' as const), c: fc.constantFrom(...names), on: fc.boolean() }),
      fc.record({ k: fc.constant('weight' as const), c: fc.constantFrom(...names), w: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ k: fc.constant('total' as const), agent: fc.constantFrom(A, B), cpus: fc.integer({ min: 1, max: 100 }) }),
      fc.record({ k: fc.constant('sort' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const s = sorterWithCluster();
        for (const n of names) s.add(n);
        const active = new Set(names);
        const counts = new Map<string, number>();
        for (const o of ops) {
          switch (o.k) {
            case 'alloc':
              s.allocated(o.c, o.agent, Resources.scalar('cpus', o.cpus).plus(Resources.scalar('mem', o.mem)));
              counts.set(o.c, (counts.get(o.c) ?? 0) + 1);
              break;
            case 'free':
              s.unallocated(o.c, o.agent, Resources.scalar('cpus', o.cpus).plus(Resources.scalar('mem', o.mem)));
              break;
            case 'active':
              s.setActive(o.c, o.on);
              if (o.on) active.add(o.c);
              else active.delete(o.c);
              break;
            case 'weight':
              s.setWeight(o.c, o.w);
              break;
            case 'total':
              s.setAgentTotal(o.agent, new Map([['cpus', o.cpus], ['mem', 100]]));
              break;
            case 'sort':
              s.sort();
              break;
          }
        }
        const expected = [...active].sort(
          (x, y) => s.share(x) - s.share(y) || (counts.get(x) ?? 0) - (counts.get(y) ?? 0) || (x < y ? -1 : 1),
        );
        expect(s.sort()).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
