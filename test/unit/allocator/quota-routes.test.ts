import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/coordination/index.js';
import { FakeAgent, Scheduler, frameworkInfo, startHarness, waitFor, type Harness } from '../master/harness.js';

const harnesses: Harness[] = [];
async function start(flags: Record<string, string> = {}, store = new MemoryStore()): Promise<Harness> {
  const h = await startHarness(flags, store);
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

async function req(h: Harness, method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; body: string }> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const r = await h.app.inject({ method, url, ...(payload !== undefined ? { payload, headers: { 'content-type': 'application/json' } } : {}) });
  return { status: r.statusCode, body: r.body };
}

const cpus = (v: number): unknown => ({ name: 'cpus', type: 'SCALAR', scalar: { value: v } });

describe('/weights', () => {
  it('GET lists --weights; PUT sets weights durably; GET shows them after a restart', async () => {
    const store = new MemoryStore();
    const h = await start({ weights: 'a=2,b/c=0.5' }, store);
    expect(JSON.parse((await req(h, 'GET', '/weights')).body)).toEqual([{ role: 'a', weight: 2 }, { role: 'b/c', weight: 0.5 }]);
    expect((await req(h, 'PUT', '/master/weights', [{ role: 'a', weight: 3 }, { role: 'x', weight: '1.5' }])).status).toBe(200);
    expect(JSON.parse((await req(h, 'GET', '/master/weights')).body)).toEqual([{ role: 'a', weight: 3 }, { role: 'b/c', weight: 0.5 }, { role: 'x', weight: 1.5 }]);
    await h.close();
    harnesses.splice(0);
    const again = await start({ weights: 'a=2' }, store);
    expect(JSON.parse((await req(again, 'GET', '/weights')).body)).toEqual([{ role: 'a', weight: 3 }, { role: 'x', weight: 1.5 }]);
  });

  it.each([
    ['invalid JSON', '[{"role":'],
    ['not an array', { role: 'a', weight: 1 }],
    ['zero weight', [{ role: 'a', weight: 0 }]],
    ['negative weight', [{ role: 'a', weight: -1 }]],
    ['missing role', [{ weight: 1 }]],
    ['bad role name', [{ role: 'a/../b', weight: 1 }]],
  ])('PUT answers 400 on %s', async (_what, body) => {
    const h = await start();
    const r = await req(h, 'PUT', '/weights', body);
    expect(r.status).toBe(400);
    expect(r.body.length).toBeGreaterThan(0);
    expect(JSON.parse((await req(h, 'GET', '/weights')).body)).toEqual([]);
  });

  it('rejects roles outside the --roles whitelist and methods other than GET and PUT', async () => {
    const h = await start({ roles: 'a,b' });
    expect((await req(h, 'PUT', '/weights', [{ role: 'c', weight: 2 }])).status).toBe(400);
    expect((await req(h, 'POST', '/weights', [{ role: 'a', weight: 2 }])).status).toBe(405);
  });

  it('weights show in /master/roles', async () => {
    const h = await start();
    await req(h, 'PUT', '/weights', [{ role: 'eng/web', weight: 4 }]);
    const roles = (JSON.parse((await req(h, 'GET', '/master/roles')).body) as { roles: { name: string; weight: number }[] }).roles;
    expect(roles.map((r) => [r.name, r.weight])).toEqual([['eng', 1], ['eng/web', 4]]);
  });
});

describe('/quota', () => {
  it('POST sets a guarantee (and the same limit); GET shows infos and configs; DELETE removes; all durable', async () => {
    const store = new MemoryStore();
    const h = await start({}, store);
    await FakeAgent.subscribe(h);
    expect((await req(h, 'POST', '/quota', { role: 'eng', guarantee: [cpus(2), { name: 'mem', type: 'SCALAR', scalar: { value: 512 } }] })).status).toBe(200);
    const status = JSON.parse((await req(h, 'GET', '/master/quota')).body) as Record<string, unknown>;
    expect(status).toEqual({
      infos: [{ role: 'eng', guarantee: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, role: '*' }, { name: 'mem', type: 'SCALAR', scalar: { value: 512 }, role: '*' }] }],
      configs: [{ role: 'eng', guarantees: { cpus: { value: 2 }, mem: { value: 512 } }, limits: { cpus: { value: 2 }, mem: { value: 512 } } }],
    });
    const roles = (JSON.parse((await req(h, 'GET', '/roles')).body) as { roles: { name: string; quota: Record<string, unknown> }[] }).roles;
    expect(roles.find((r) => r.name === 'eng')?.quota).toEqual({ role: 'eng', guarantee: { cpus: 2, mem: 512 }, limit: { cpus: 2, mem: 512 }, consumed: {} });
    const metrics = JSON.parse((await req(h, 'GET', '/metrics/snapshot')).body) as Record<string, number>;
    expect(metrics['allocator/mesos/quota/roles/eng/resources/cpus/guarantee']).toBe(2);
    expect(metrics['allocator/mesos/quota/roles/eng/resources/mem/limit']).toBe(512);
    await h.close();
    harnesses.splice(0);
    const again = await start({}, store);
    expect((JSON.parse((await req(again, 'GET', '/quota')).body) as { configs: unknown[] }).configs).toHaveLength(1);
    expect((await req(again, 'DELETE', '/quota/eng')).status).toBe(200);
    expect((await req(again, 'DELETE', '/quota/eng')).status).toBe(400);
    expect(JSON.parse((await req(again, 'GET', '/quota')).body)).toEqual({ infos: [], configs: [] });
  });

  it('409 when guarantees overcommit the cluster, unless force', async () => {
    const h = await start();
    await FakeAgent.subscribe(h); // 4 cpus
    expect((await req(h, 'POST', '/quota', { role: 'a', guarantee: [cpus(3)] })).status).toBe(200);
    const r = await req(h, 'POST', '/quota', { role: 'b', guarantee: [cpus(2)] });
    expect(r.status).toBe(409);
    expect(r.body).toMatch(/force/);
    expect((await req(h, 'POST', '/quota', { role: 'b', guarantee: [cpus(2)], force: true })).status).toBe(200);
  });

  it.each([
    ['invalid JSON', '{"role":'],
    ['no role', { guarantee: [cpus(1)] }],
    ["the '*' role", { role: '*', guarantee: [cpus(1)] }],
    ['a bad role name', { role: '/a', guarantee: [cpus(1)] }],
    ['a non-scalar resource', { role: 'a', guarantee: [{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 1, end: 2 }] } }] }],
    ['a reserved resource', { role: 'a', guarantee: [{ ...(cpus(1) as object), role: 'a' }] }],
    ['a negative value', { role: 'a', guarantee: [cpus(-1)] }],
  ])('POST answers 400 on %s', async (_what, body) => {
    const h = await start();
    await FakeAgent.subscribe(h);
    expect((await req(h, 'POST', '/quota', body)).status).toBe(400);
  });

  it('POST answers 400 for a role that already has quota; DELETE of a role without quota is 400', async () => {
    const h = await start();
    await FakeAgent.subscribe(h);
    expect((await req(h, 'POST', '/quota', { role: 'a', guarantee: [cpus(1)] })).status).toBe(200);
    expect((await req(h, 'POST', '/quota', { role: 'a', guarantee: [cpus(1)] })).status).toBe(400);
    expect((await req(h, 'DELETE', '/quota/zzz')).status).toBe(400);
  });

  it('the allocator enforces it: offers to a role are chopped to its limit', async () => {
    const h = await start();
    await FakeAgent.subscribe(h); // cpus 4
    expect((await req(h, 'POST', '/quota', { role: 'eng', guarantee: [cpus(1.5)] })).status).toBe(200);
    const s = await Scheduler.subscribe(h, frameworkInfo({ role: 'eng' }));
    await h.clock.advance(1000);
    const o = await waitFor(() => s.offers()[0], 'offer');
    const offeredCpus = (o.resources as { name: string; scalar?: { value: number } }[]).filter((r) => r.name === 'cpus').reduce((n, r) => n + (r.scalar?.value ?? 0), 0);
    expect(offeredCpus).toBe(1.5);
    const metrics = JSON.parse((await req(h, 'GET', '/metrics/snapshot')).body) as Record<string, number>;
    expect(metrics['allocator/mesos/allocation_run_ms/count']).toBeGreaterThan(0);
    expect(metrics['allocator/mesos/roles/eng/shares/dominant']).toBeGreaterThan(0);
    // The next cycle has nothing left for eng: the debug endpoint says the quota limit is why.
    await h.clock.advance(1000);
    const r = JSON.parse((await req(h, 'GET', '/master/allocator/starvation')).body) as { frameworks: Record<string, unknown>[] };
    expect(r.frameworks).toContainEqual({ framework_id: s.frameworkId, role: 'eng', reason: 'quota_limit', filtered_agents: 0 });
  });
});
