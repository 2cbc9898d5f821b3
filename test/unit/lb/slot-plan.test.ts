import { describe, expect, it } from 'vitest';
import { renderHaproxyConfig, slotCount, type HaproxyRenderOptions } from '../../../src/lb/haproxy-config.js';
import { buildModel, type LbModel } from '../../../src/lb/model.js';
import { initialSlots, planUpdate, type SlotTable } from '../../../src/lb/slot-plan.js';
import { app, EXTERNAL, task } from './fixtures.js';

const OPTS: HaproxyRenderOptions = { adminSocket: '/s', bindAddr: '*', statsPort: 0, httpPort: 80, httpsPort: 0, sslCerts: [], minSlots: 4 };

function model(ports: number[], labels: Record<string, string> = EXTERNAL): LbModel {
  return buildModel({ apps: [app('/web', [10001], labels, ports.map((p) => task(`t${p}`, p)))] }, { groups: ['external'], bindAddr: '*' });
}
const structure = (m: LbModel): string => renderHaproxyConfig({ services: m.services.map((s) => ({ ...s, servers: [] })), errors: [] }, OPTS, () => 0);
const slots = (m: LbModel): SlotTable => initialSlots(m, (_, n) => slotCount(n, OPTS.minSlots));
const plan = (from: LbModel, to: LbModel, live: SlotTable = slots(from)): ReturnType<typeof planUpdate> => planUpdate(structure(from), live, structure(to), to);

describe('planUpdate', () => {
  it('does nothing when servers are the same', () => {
    expect(plan(model([31001, 31002]), model([31002, 31001]))).toEqual({ kind: 'none' });
  });

  it('adds servers into free slots through the runtime API, keeping the others in place', () => {
    const p = plan(model([31001, 31002, 31003]), model([31001, 31002, 31003, 31004]));
    expect(p.kind).toBe('runtime');
    if (p.kind !== 'runtime') return;
    expect(p.commands).toEqual(['set server web_10001/s4 addr 10.0.0.1 port 31004', 'set server web_10001/s4 state ready']);
    expect(p.slots.get('web_10001')?.map((s) => s?.port)).toEqual([31001, 31002, 31003, 31004, undefined]);
  });

  it('puts removed servers in maintenance on the placeholder address, and reuses their slots', () => {
    const removed = plan(model([31001, 31002, 31003]), model([31001, 31003]));
    expect(removed).toMatchObject({ kind: 'runtime', commands: ['set server web_10001/s2 state maint', 'set server web_10001/s2 addr 127.0.0.1 port 1'] });
    const replaced = plan(model([31001, 31002, 31003]), model([31001, 31003, 31009]));
    expect(replaced).toMatchObject({ kind: 'runtime', commands: ['set server web_10001/s2 addr 10.0.0.1 port 31009', 'set server web_10001/s2 state ready'] });
  });

  it('reloads when the slots do not suffice, when anything but servers changes, and for sticky backends', () => {
    expect(plan(model([31001]), model([31001, 31002, 31003, 31004, 31005]))).toEqual({ kind: 'reload', reason: 'backend web_10001 needs 5 server slots, has 4' });
    expect(plan(model([31001]), model([31001], { ...EXTERNAL, HAPROXY_0_BALANCE: 'leastconn' })).kind).toBe('reload');
    const sticky = { ...EXTERNAL, HAPROXY_0_STICKY: 'true' };
    expect(plan(model([31001], sticky), model([31001, 31002], sticky))).toEqual({ kind: 'reload', reason: 'sticky backend web_10001 changed servers' });
  });

  it('applies successive plans from the slots the previous one left', () => {
    const first = plan(model([31001, 31002]), model([31002, 31003]));
    if (first.kind !== 'runtime') throw new Error('expected runtime');
    expect(first.commands).toEqual(['set server web_10001/s1 addr 10.0.0.1 port 31003', 'set server web_10001/s1 state ready']);
    const second = plan(model([31002, 31003]), model([31002, 31003, 31004]), first.slots);
    expect(second).toMatchObject({ kind: 'runtime', commands: ['set server web_10001/s3 addr 10.0.0.1 port 31004', 'set server web_10001/s3 state ready'] });
  });
});
