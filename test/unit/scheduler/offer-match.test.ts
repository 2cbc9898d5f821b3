import { describe, expect, it } from 'vitest';
import type { OfferJson } from '../../../src/api/mesos/common.js';
import { parseResources } from '../../../src/core/resources.js';
import { offerContains, taskResourcesFromOffer } from '../../../src/scheduler/index.js';

function offer(resources: unknown[], allocationRole?: string): OfferJson {
  return {
    id: { value: 'o1' },
    framework_id: { value: 'f1' },
    agent_id: { value: 'a1' },
    hostname: 'h',
    url: { scheme: 'http', address: { hostname: 'h', ip: '127.0.0.1', port: 5051 }, path: '/slave(1)' },
    resources,
    ...(allocationRole !== undefined ? { allocation_info: { role: allocationRole } } : {}),
  };
}
const scalar = (name: string, value: number, extra: Record<string, unknown> = {}) => ({ name, type: 'SCALAR', scalar: { value }, ...extra });

describe('offerContains', () => {
  it('ignores role and allocation_info of unreserved resources', () => {
    const o = offer([scalar('cpus', 2, { role: '*', allocation_info: { role: 'dev' } }), scalar('mem', 256, { allocation_info: { role: 'dev' } })], 'dev');
    expect(offerContains(o, parseResources('cpus:1;mem:128'))).toBe(true);
    expect(offerContains(o, parseResources('cpus:1;mem:512'))).toBe(false);
    expect(offerContains(o, parseResources('cpus:1;gpus:1'))).toBe(false);
  });

  it('counts reserved and unreserved pieces together', () => {
    const o = offer([scalar('cpus', 1, { role: 'dev' }), scalar('cpus', 1, { role: '*' })]);
    expect(offerContains(o, parseResources('cpus:2'))).toBe(true);
  });
});

describe('taskResourcesFromOffer', () => {
  it('takes reserved-for-role first, then unreserved, in the offer format', () => {
    const o = offer([scalar('cpus', 0.5, { role: 'dev' }), scalar('cpus', 4, { role: '*' }), scalar('mem', 1024, { role: '*' })]);
    expect(taskResourcesFromOffer(o, parseResources('cpus:1;mem:128'), 'dev')).toEqual([
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 }, role: 'dev' },
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 }, role: '*' },
      { name: 'mem', type: 'SCALAR', scalar: { value: 128 }, role: '*' },
    ]);
  });

  it('keeps allocation_info for MULTI_ROLE offers and uses post-refinement format when the offer does', () => {
    const o = offer([scalar('cpus', 2, { allocation_info: { role: 'dev' } }), { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31010 }] }, allocation_info: { role: 'dev' } }], 'dev');
    expect(taskResourcesFromOffer(o, parseResources('cpus:1;ports:[31005-31006]'), 'dev')).toEqual([
      { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, allocation_info: { role: 'dev' } },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31005, end: 31006 }] }, allocation_info: { role: 'dev' } },
    ]);
  });

  it('returns undefined when the offer is too small', () => {
    const o = offer([scalar('cpus', 0.5, { role: '*' })]);
    expect(taskResourcesFromOffer(o, parseResources('cpus:1'))).toBeUndefined();
    expect(taskResourcesFromOffer(o, parseResources('cpus:0.5;mem:1'))).toBeUndefined();
  });

  it('never uses resources reserved for another role', () => {
    const o = offer([scalar('cpus', 4, { role: 'other' })]);
    expect(taskResourcesFromOffer(o, parseResources('cpus:1'), 'dev')).toBeUndefined();
  });
});
