import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../../../src/core/rng.js';
import type { OfferJson } from '../../../../src/api/mesos/common.js';
import { normalizeApp } from '../../../../src/apps/model/normalize.js';
import { placeInSlot, slotOf } from '../../../../src/apps/placement/pipeline.js';
import { emptySummary, recordRejected, recordUsed, summaryEntries } from '../../../../src/apps/placement/reject-summary.js';

function offer(host: string, cpus = 2, ports: [number, number] = [31000, 31009], attrs: OfferJson['attributes'] = []): OfferJson {
  return {
    id: { value: `o-${host}` }, framework_id: { value: 'f' }, agent_id: { value: `a-${host}` }, hostname: host,
    url: { scheme: 'http', address: { hostname: host, ip: '127.0.0.1', port: 5051 }, path: '/slave(1)' },
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: cpus }, role: '*', allocation_info: { role: '*' } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 1024 }, role: '*', allocation_info: { role: '*' } },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: ports[0], end: ports[1] }] }, role: '*', allocation_info: { role: '*' } },
    ],
    attributes: attrs,
  };
}

const app = (extra: object = {}) => ({ ...normalizeApp({ id: 'web', cmd: 'sleep 1', cpus: 1, mem: 64, ...extra }), version: 'v' });

describe('placement pipeline', () => {
  it('carves instances out of an offer until it is exhausted, with distinct host ports', () => {
    const slot = slotOf(offer('h1', 2));
    const rng = new SeededRng(1);
    const a = app({ portDefinitions: [{ port: 0 }, { port: 0, name: 'admin' }] });
    const r1 = placeInSlot({ app: a, placed: [] }, slot, rng);
    const r2 = placeInSlot({ app: a, placed: [] }, slot, rng);
    const r3 = placeInSlot({ app: a, placed: [] }, slot, rng);
    expect(r1.ok && r2.ok).toBe(true);
    expect(r3).toMatchObject({ ok: false, reason: 'InsufficientCpus' });
    const ports = [...(r1.ok ? r1.hostPorts : []), ...(r2.ok ? r2.hostPorts : [])];
    expect(new Set(ports).size).toBe(4);
    for (const p of ports) expect(p).toBeGreaterThanOrEqual(31000);
    expect(slot.remaining.scalar('cpus')).toBe(0);
  });

  it('records constraint, memory and port rejections in funnel order', () => {
    const rng = new SeededRng(2);
    expect(placeInSlot({ app: app({ constraints: [['hostname', 'UNIQUE']] }), placed: [{ hostname: 'h1' }] }, slotOf(offer('h1')), rng)).toMatchObject({ ok: false, reason: 'UnfulfilledConstraint' });
    expect(placeInSlot({ app: app({ mem: 4096 }), placed: [] }, slotOf(offer('h1')), rng)).toMatchObject({ ok: false, reason: 'InsufficientMemory' });
    expect(placeInSlot({ app: app({ requirePorts: true, portDefinitions: [{ port: 80 }] }), placed: [] }, slotOf(offer('h1')), rng)).toMatchObject({ ok: false, reason: 'InsufficientPorts' });
    expect(placeInSlot({ app: app({ constraints: [['rack', 'IS', 'r1']] }), placed: [] }, slotOf(offer('h1', 2, [31000, 31001], [{ name: 'rack', type: 'TEXT', text: { value: 'r1' } }])), rng).ok).toBe(true);
    const s = emptySummary();
    recordRejected(s, 'InsufficientMemory', 1);
    recordUsed(s, 2);
    const entries = summaryEntries(s);
    expect(entries.find((e) => e.reason === 'UnfulfilledConstraint')).toEqual({ reason: 'UnfulfilledConstraint', declined: 0, processed: 2 });
    expect(entries.find((e) => e.reason === 'InsufficientMemory')).toEqual({ reason: 'InsufficientMemory', declined: 1, processed: 2 });
    expect(entries.find((e) => e.reason === 'InsufficientDisk')).toEqual({ reason: 'InsufficientDisk', declined: 0, processed: 1 });
    expect(s.unusedOffersCount).toBe(1);
  });

  it('uses only offers allocated to the app role (old-style offers without allocation_info pass)', () => {
    const rng = new SeededRng(3);
    const dev = app({ role: 'dev' });
    expect(placeInSlot({ app: dev, placed: [] }, slotOf(offer('h1')), rng)).toMatchObject({ ok: false, reason: 'UnfulfilledRole' });
    expect(placeInSlot({ app: app(), placed: [] }, slotOf(offer('h1')), rng).ok).toBe(true);
    const forDev: OfferJson = { ...offer('h2'), allocation_info: { role: 'dev' } };
    forDev.resources = forDev.resources.map((r) => ({ ...(r as object), allocation_info: { role: 'dev' } }));
    expect(placeInSlot({ app: dev, placed: [] }, slotOf(forDev), rng).ok).toBe(true);
    expect(placeInSlot({ app: app(), placed: [] }, slotOf(forDev), rng)).toMatchObject({ ok: false, reason: 'UnfulfilledRole' });
    const legacy: OfferJson = { ...offer('h3'), resources: offer('h3').resources.map((r) => ({ ...(r as object), allocation_info: undefined })) };
    expect(placeInSlot({ app: dev, placed: [] }, slotOf(legacy), rng).ok).toBe(true);
  });
});
