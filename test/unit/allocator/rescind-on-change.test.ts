import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { FakeAgent, Scheduler, frameworkInfo, post, startHarness, waitFor, type Harness } from '../master/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

async function offeredTo(role: string): Promise<Scheduler> {
  const s = await Scheduler.subscribe(h, frameworkInfo({ roles: [role], capabilities: [{ type: 'MULTI_ROLE' }] }));
  await h.clock.advance(1000);
  await waitFor(() => s.offers().length === 1, `offer to ${role}`);
  return s;
}

function updateQuota(role: string, guarantees: Record<string, number>, limits: Record<string, number>): Promise<{ status: number; body: string }> {
  const scalar = (m: Record<string, number>): Record<string, { value: number }> => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { value: v }]));
  return post(`${h.url}/api/v1`, { type: 'UPDATE_QUOTA', update_quota: { force: true, quota_configs: [{ role, guarantees: scalar(guarantees), limits: scalar(limits) }] } });
}

describe('rescinding offers when weights or quotas change', () => {
  it('a weight change of a role with frameworks rescinds outstanding offers (and they come back)', async () => {
    await FakeAgent.subscribe(h);
    const s = await offeredTo('web');
    const res = await request(`${h.url}/weights`, { method: 'PUT', body: JSON.stringify([{ role: 'other', weight: 2 }]) });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    await h.clock.settle();
    expect(s.stream.of('RESCIND')).toHaveLength(0);
    const res2 = await request(`${h.url}/weights`, { method: 'PUT', body: JSON.stringify([{ role: 'web', weight: 3 }]) });
    expect(res2.statusCode).toBe(200);
    await res2.body.text();
    await s.stream.next('RESCIND');
    await h.clock.advance(1000);
    await waitFor(() => s.offers().length === 2, 're-offer without a filter');
  });

  it('a limit below what a role is offered rescinds its offers; the next offer respects the limit', async () => {
    await FakeAgent.subscribe(h);
    const s = await offeredTo('web');
    expect((await updateQuota('web', {}, { cpus: 1 })).status).toBe(200);
    await s.stream.next('RESCIND');
    await h.clock.advance(1000);
    const offer = await waitFor(() => s.offers()[1], 'offer within the limit');
    const cpus = (offer.resources as { name: string; scalar?: { value: number } }[]).filter((r) => r.name === 'cpus').reduce((a, r) => a + (r.scalar?.value ?? 0), 0);
    expect(cpus).toBe(1);
  });

  it('a guarantee rescinds offers held by other roles so the guaranteed role can be served', async () => {
    await FakeAgent.subscribe(h);
    const other = await offeredTo('batch');
    const web = await Scheduler.subscribe(h, frameworkInfo({ roles: ['web'], capabilities: [{ type: 'MULTI_ROLE' }] }));
    expect((await updateQuota('web', { cpus: 2 }, {})).status).toBe(200);
    await other.stream.next('RESCIND');
    await h.clock.advance(1000);
    await waitFor(() => web.offers().length === 1, 'offer to the guaranteed role');
  });

  it('a quota that the current offers respect rescinds nothing', async () => {
    await FakeAgent.subscribe(h);
    const s = await offeredTo('web');
    expect((await updateQuota('web', { cpus: 1 }, { cpus: 100 })).status).toBe(200);
    await h.clock.settle();
    expect(s.stream.of('RESCIND')).toHaveLength(0);
  });
});
