import { describe, expect, it } from 'vitest';
import { harness, offer } from './harness.js';

async function running(h: ReturnType<typeof harness>, id: string, n: number): Promise<string[]> {
  await h.inject('POST', '/v2/apps', { id, cmd: 'x', cpus: 0.1, mem: 16, instances: n });
  await h.runtime.onOffers([offer('h1')]);
  const ids = h.driver.tasks.map((t) => t.task_id.value);
  for (const t of ids) await h.update(t, 'TASK_RUNNING');
  await h.runtime.tick();
  return ids;
}

describe('killing tasks', () => {
  it('DELETE /v2/apps/{id}/tasks/{taskId} kills one task, which is replaced', async () => {
    const h = harness();
    const [a] = await running(h, 'k', 2);
    const res = await h.inject('DELETE', `/v2/apps/k/tasks/${a ?? ''}`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ task: { id: a, appId: '/k' } });
    expect(h.driver.killed).toEqual([a]);
    await h.update(a ?? '', 'TASK_KILLED');
    await h.runtime.onOffers([offer('h1')]);
    expect(h.driver.tasks).toHaveLength(3);
    expect((await h.inject('DELETE', '/v2/apps/k/tasks/k.instance-nope._app.1')).status).toBe(404);
  });

  it('kill with scale=true lowers instances through a deployment and kills exactly those tasks', async () => {
    const h = harness();
    const ids = await running(h, 'ks', 3);
    const res = await h.inject('POST', '/v2/tasks/delete?scale=true', { ids: [ids[0], 'unknown.instance-x._app.1'] });
    expect(res.status).toBe(200);
    expect(res.headers['marathon-deployment-id']).toBe(res.json?.['deploymentId']);
    expect(h.driver.killed).toEqual([ids[0]]);
    expect(((await h.inject('GET', '/v2/apps/ks')).json as { app: { instances: number } }).app.instances).toBe(2);
    expect((await h.inject('POST', '/v2/tasks/delete?scale=true&wipe=true', { ids: [] })).json).toEqual({ message: 'You cannot use scale and wipe at the same time.' });
    expect((await h.inject('POST', '/v2/tasks/delete', { ids: ['bad'] })).status).toBe(400);
  });

  it('cancels deployments: force drops it (202), otherwise rolls back to the previous version', async () => {
    const h = harness();
    await running(h, 'd', 1);
    const scaled = await h.inject('PUT', '/v2/apps/d', { instances: 3 });
    const dep = String(scaled.json?.['deploymentId']);
    const rollback = await h.inject('DELETE', `/v2/deployments/${dep}`);
    expect(rollback.status).toBe(200);
    expect(((await h.inject('GET', '/v2/apps/d')).json as { app: { instances: number } }).app.instances).toBe(1);
    const again = await h.inject('PUT', '/v2/apps/d?force=true', { instances: 2 });
    const forced = await h.inject('DELETE', `/v2/deployments/${String(again.json?.['deploymentId'])}?force=true`);
    expect(forced.status).toBe(202);
    expect((await h.inject('DELETE', '/v2/deployments/nope')).json).toEqual({ message: 'DeploymentPlan nope does not exist' });
  });

  it('DELETE /v2/queue/{id}/delay clears the back-off (204) or says the app is not queued (404)', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'q', cmd: 'x', cpus: 0.1, mem: 16, backoffSeconds: 60 });
    await h.runtime.onOffers([offer('h1')]);
    const t = h.driver.tasks[0]?.task_id.value ?? '';
    await h.update(t, 'TASK_FAILED');
    await h.runtime.onOffers([offer('h1')]);
    expect(h.driver.tasks).toHaveLength(1);
    expect((await h.inject('DELETE', '/v2/queue/q/delay')).status).toBe(204);
    await h.runtime.onOffers([offer('h1')]);
    expect(h.driver.tasks).toHaveLength(2);
    expect((await h.inject('DELETE', '/v2/queue/q/delay')).json).toEqual({ message: 'Application /q not found in tasks queue.' });
  });
});
