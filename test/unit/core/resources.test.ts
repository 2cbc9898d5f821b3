import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromWire, mergeRanges, parseResources, Resources, subtractRanges } from '../../../src/core/resources.js';

describe('parseResources', () => {
  it('reads the Mesos text syntax with roles, ranges and sets', () => {
    const r = parseResources('cpus:4;mem:2048;ports:[31000-32000,33000-33005];disks:{b,a};cpus(ads):8');
    expect(r.scalar('cpus')).toBe(12);
    expect(r.unreserved().scalar('cpus')).toBe(4);
    expect(r.reserved('ads').scalar('cpus')).toBe(8);
    expect(r.ranges('ports')).toEqual([
      [31000, 32000],
      [33000, 33005],
    ]);
    expect(r.summary()).toEqual({ cpus: 12, gpus: 0, mem: 2048, disk: 0, ports: '[31000-32000, 33000-33005]', disks: '{a, b}' });
  });

  it('reads a JSON array of Resource', () => {
    const r = parseResources('[{"name":"cpus","type":"SCALAR","scalar":{"value":2},"role":"eng"}]');
    expect(r.reserved('eng').scalar('cpus')).toBe(2);
  });

  it('rejects nonsense with a message naming the part', () => {
    expect(() => parseResources('cpus=4')).toThrow(/cpus=4/);
    expect(() => parseResources('cpus:-1')).toThrow(/scalar/);
    expect(() => parseResources('ports:[10-x]')).toThrow(/range/);
  });
});

describe('Resources algebra', () => {
  it('keeps three decimals exactly', () => {
    const r = Resources.scalar('cpus', 0.1).plus(Resources.scalar('cpus', 0.2));
    expect(r.scalar('cpus')).toBe(0.3);
    expect(r.contains(Resources.scalar('cpus', 0.3))).toBe(true);
  });

  it('subtracts ranges and reports containment', () => {
    const total = parseResources('ports:[31000-31010]');
    const used = parseResources('ports:[31002-31003]');
    expect(total.contains(used)).toBe(true);
    expect(total.minus(used).ranges('ports')).toEqual([
      [31000, 31001],
      [31004, 31010],
    ]);
    expect(total.minus(used).contains(used)).toBe(false);
  });

  it('treats allocation role as part of identity', () => {
    const offered = parseResources('cpus:1').allocate('dev');
    expect(offered.contains(parseResources('cpus:1'))).toBe(false);
    expect(offered.contains(parseResources('cpus:1').allocate('dev'))).toBe(true);
    expect(offered.unallocated().equals(parseResources('cpus:1'))).toBe(true);
  });

  it('knows which reservations a role may use', () => {
    const r = parseResources('cpus:1;cpus(eng):2;cpus(ops):4');
    expect(r.allocatableTo('eng/web').scalar('cpus')).toBe(3);
    expect(r.allocatableTo('*').scalar('cpus')).toBe(1);
  });

  it('writes pre- and post-refinement formats', () => {
    const r = parseResources('cpus(eng):2').allocate('eng');
    expect(r.toWire('pre', false)).toEqual([{ name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, role: 'eng' }]);
    expect(r.toWire('post', true)).toEqual([
      { name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, reservations: [{ type: 'STATIC', role: 'eng' }], allocation_info: { role: 'eng' } },
    ]);
    expect(fromWire(r.toWire('endpoint', true)).equals(r)).toBe(true);
  });

  it('plus then minus is the identity (property)', () => {
    const res = fc.record({ cpus: fc.integer({ min: 0, max: 64_000 }), mem: fc.integer({ min: 0, max: 1_000_000 }), lo: fc.integer({ min: 1, max: 60_000 }), len: fc.integer({ min: 0, max: 100 }) });
    fc.assert(
      fc.property(res, res, (a, b) => {
        const ra = parseResources(`cpus:${a.cpus / 1000};mem:${a.mem};ports:[${a.lo}-${a.lo + a.len}]`);
        const rb = parseResources(`cpus:${b.cpus / 1000};mem:${b.mem}`);
        return ra.plus(rb).minus(rb).equals(ra) && ra.plus(rb).contains(ra);
      }),
    );
  });

  it('merges and subtracts arbitrary ranges consistently (property)', () => {
    const range = fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 20 })).map(([b, l]) => [b, b + l] as const);
    fc.assert(
      fc.property(fc.array(range, { maxLength: 8 }), fc.array(range, { maxLength: 8 }), (a, b) => {
        const left = subtractRanges(a, b);
        const covered = (x: number, rs: readonly (readonly [number, number])[]): boolean => rs.some(([s, e]) => s <= x && x <= e);
        for (let x = 0; x <= 221; x++) {
          if (covered(x, left) !== (covered(x, a) && !covered(x, b))) return false;
        }
        return mergeRanges(left).length === left.length;
      }),
    );
  });
});
