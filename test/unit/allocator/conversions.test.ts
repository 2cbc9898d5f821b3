import { describe, expect, it } from 'vitest';
import { fromWire } from '../../../src/core/resources.js';
import { agentAdded, aid, describe as show, fid, frameworkAdded, makeAllocator } from './fixtures.js';

const unreserved = fromWire([{ name: 'cpus', type: 'SCALAR', scalar: { value: 2 } }]);
const reserved = fromWire([{ name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, reservations: [{ type: 'DYNAMIC', role: 'web' }] }]);

describe('agentResourcesConverted', () => {
  it('moves converted resources to their reservation in the total and the free pool', () => {
    const a = makeAllocator();
    a.apply(agentAdded(aid(1), 'cpus:4;mem:512'), 0);
    a.apply({ type: 'agentResourcesConverted', agentId: aid(1), consumed: unreserved, produced: reserved }, 0);
    expect(a.freeOn(aid(1))?.reserved('web').scalar('cpus')).toBe(2);
    expect(a.freeOn(aid(1))?.unreserved().scalar('cpus')).toBe(2);
    a.apply(frameworkAdded(fid(1), { roles: ['ads'] }), 0);
    a.apply(frameworkAdded(fid(2), { roles: ['web'] }), 0);
    // 'ads' gets only the unreserved part; the reservation goes to 'web'.
    expect(show(a.cycle(0))).toEqual(['fw-1@agent-1(ads): cpus:2;mem:512', 'fw-2@agent-1(web): cpus(web):2']);
  });
  it('ignores unknown agents, and the inverse conversion restores the agent', () => {
    const a = makeAllocator();
    a.apply({ type: 'agentResourcesConverted', agentId: aid(9), consumed: unreserved, produced: reserved }, 0);
    a.apply(agentAdded(aid(1), 'cpus:4'), 0);
    a.apply({ type: 'agentResourcesConverted', agentId: aid(1), consumed: unreserved, produced: reserved }, 0);
    a.apply({ type: 'agentResourcesConverted', agentId: aid(1), consumed: reserved, produced: unreserved }, 0);
    expect(a.freeOn(aid(1))?.equals(fromWire([{ name: 'cpus', type: 'SCALAR', scalar: { value: 4 } }]))).toBe(true);
  });
});
