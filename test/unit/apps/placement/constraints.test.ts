import { describe, expect, it } from 'vitest';
import { unique } from '../../../../src/apps/placement/constraints/unique.js';
import { cluster } from '../../../../src/apps/placement/constraints/cluster.js';
import { groupBy } from '../../../../src/apps/placement/constraints/group-by.js';
import { like } from '../../../../src/apps/placement/constraints/like.js';
import { unlike } from '../../../../src/apps/placement/constraints/unlike.js';
import { maxPer } from '../../../../src/apps/placement/constraints/max-per.js';
import { is } from '../../../../src/apps/placement/constraints/is.js';
import type { ConstraintCheck } from '../../../../src/apps/placement/types.js';

type Row = [offerValue: string | undefined, value: string | undefined, placed: (string | undefined)[], expected: boolean];

function table(name: string, check: ConstraintCheck, rows: Row[]): void {
  describe(name, () => {
    it.each(rows)('offer %s value %s placed %j → %s', (offerValue, value, placed, expected) => {
      expect(check({ offerValue, value, placed, instances: 3 })).toBe(expected);
    });
  });
}

table('UNIQUE', unique, [
  ['a', undefined, [], true],
  ['a', undefined, ['b'], true],
  ['a', undefined, ['b', 'a'], false],
  [undefined, undefined, [], false],
]);

table('CLUSTER', cluster, [
  ['rack-1', 'rack-1', [], true],
  ['rack-2', 'rack-1', [], false],
  ['rack-2', undefined, [], true],
  ['rack-2', undefined, ['rack-2'], true],
  ['rack-3', undefined, ['rack-2'], false],
  [undefined, 'rack-1', [], false],
]);

table('GROUP_BY', groupBy, [
  ['a', undefined, [], true],
  ['b', undefined, ['a'], true],
  ['a', undefined, ['a', 'b'], true],
  ['a', undefined, ['a', 'a', 'b'], false],
  ['b', '2', ['a'], true],
  ['a', '2', ['a'], false],
  ['c', '2', ['a', 'b'], false],
  ['a', '2', ['a', 'b'], true],
  [undefined, '2', [], false],
]);

table('LIKE', like, [
  ['rack-1', 'rack-[0-9]', [], true],
  ['rack-12', 'rack-[0-9]', [], false],
  ['xrack-1', 'rack-[0-9]', [], false],
  [undefined, 'rack-[0-9]', [], false],
]);

table('UNLIKE', unlike, [
  ['rack-1', 'rack-[0-9]', [], false],
  ['rack-12', 'rack-[0-9]', [], true],
  [undefined, 'rack-[0-9]', [], true],
]);

table('MAX_PER', maxPer, [
  ['a', '2', [], true],
  ['a', '2', ['a'], true],
  ['a', '2', ['a', 'a'], false],
  ['b', '2', ['a', 'a'], true],
  [undefined, '2', [], false],
]);

table('IS', is, [
  ['ssd', 'ssd', [], true],
  ['hdd', 'ssd', [], false],
  ['1', '1.0', [], true],
  ['2.5', '2.50', [], true],
  [undefined, 'ssd', [], false],
]);
