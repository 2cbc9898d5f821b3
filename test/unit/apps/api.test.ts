import { describe, expect, it } from 'vitest';
import { harness } from './harness.js';

describe('/v2 apps API (in-process)', () => {
  it('creates an app: 201, Location, deployment header, AppInfo with zero counts', async () => {
    const h = harness();
    const res = await h.inject('POST', '/v2/apps', { id: 'prod/web', cmd: 'sleep 100', instances: 2 });
    expect(res.status).toBe(201);
    expect(res.headers['location']).toBe('http://apps.test:8080/prod/web');
    const dep = res.headers['marathon-deployment-id'];
    expect(typeof dep).toBe('string');
    expect(res.json).toMatchObject({
      id: '/prod/web', instances: 2, tasksStaged: 2, tasksRunning: 0, tasksHealthy: 0, tasksUnhealthy: 0, labels: {},
      deployments: [{ id: dep }], portDefinitions: [{ port: 10000, protocol: 'tcp', name: 'default' }],
    });
    expect(res.json).not.toHaveProperty('tasks');
    expect((res.json as { versionInfo: { lastConfigChangeAt: string } }).versionInfo.lastConfigChangeAt).toBe((res.json as { version: string }).version);
    expect((await h.inject('GET', '/v2/deployments')).json).toEqual([
      expect.objectContaining({ id: dep, affectedApps: ['/prod/web'], steps: [{ actions: [{ action: 'StartApplication', app: '/prod/web' }] }, { actions: [{ action: 'ScaleApplication', app: '/prod/web' }] }] }),
    ]);
    const dup = await h.inject('POST', '/v2/apps', { id: '/prod/web', cmd: 'sleep 100' });
    expect(dup.status).toBe(409);
    expect(dup.json).toEqual({ message: 'An app with id [/prod/web] already exists.' });
  });

  it('stores nothing on 400/422 and answers with upstream bodies', async () => {
    const h = harness();
    const bad = await h.inject('POST', '/v2/apps', '{"id": "x",');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ message: 'Invalid JSON' });
    const invalid = await h.inject('POST', '/v2/apps', { id: 'x', cmd: 'ab', instances: -1 });
    expect(invalid.status).toBe(422);
    expect(invalid.json).toEqual({ message: 'Object is not valid', details: [{ path: '/instances', errors: ['got -1, expected 0 or more'] }] });
    expect((await h.inject('GET', '/v2/apps')).json).toEqual({ apps: [] });
    expect(await h.store.list('apps/')).toEqual([]);
    expect((await h.inject('GET', '/v2/apps/nope')).json).toEqual({ message: "App '/nope' does not exist" });
    expect((await h.inject('GET', '/v2/apps/nope')).status).toBe(404);
  });

  it('locks an app during its deployment (409 with deployments) unless force', async () => {
    const h = harness();
    const created = await h.inject('POST', '/v2/apps', { id: 'web', cmd: 'sleep 100' });
    const dep = created.headers['marathon-deployment-id'] as string;
    const locked = await h.inject('PUT', '/v2/apps/web', { instances: 3 });
    expect(locked.status).toBe(409);
    expect(locked.json).toEqual({
      message: `App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/${dep}'.`,
      deployments: [{ id: dep }],
    });
    const forced = await h.inject('PUT', '/v2/apps/web?force=true', { instances: 3 });
    expect(forced.status).toBe(200);
    expect(forced.json?.['deploymentId']).toBe(forced.headers['marathon-deployment-id']);
    expect(typeof forced.json?.['version']).toBe('string');
    expect((await h.inject('GET', '/v2/deployments')).json).toHaveLength(1);
    // DELETE defaults to force=true.
    expect((await h.inject('DELETE', '/v2/apps/web')).status).toBe(200);
    expect((await h.inject('GET', '/v2/apps/web')).status).toBe(404);
  });

  it('PUT creates with 201, partial updates keep fields, versions are listed and retrievable', async () => {
    const h = harness();
    const created = await h.inject('PUT', '/v2/apps/svc', { cmd: 'sleep 1', env: { A: '1' }, labels: { team: 'x' } });
    expect(created.status).toBe(201);
    expect(created.headers['location']).toBe('http://apps.test:8080/svc');
    await h.clock.advance(1000);
    const patched = await h.inject('PATCH', '/v2/apps/svc?force=true', { instances: 4 });
    expect(patched.status).toBe(200);
    const app = (await h.inject('GET', '/v2/apps/svc')).json as { app: Record<string, unknown> };
    expect(app.app).toMatchObject({ cmd: 'sleep 1', env: { A: '1' }, labels: { team: 'x' }, instances: 4, tasks: [] });
    const versions = ((await h.inject('GET', '/v2/apps/svc/versions')).json as { versions: string[] }).versions;
    expect(versions).toHaveLength(2);
    const first = await h.inject('GET', `/v2/apps/svc/versions/${versions[1] ?? ''}`);
    expect(first.json).toMatchObject({ id: '/svc', instances: 1 });
    expect((await h.inject('PATCH', '/v2/apps/other', { instances: 1 })).status).toBe(404);
  });

  it('serves ping, info, leader, queue, tasks and filters apps', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'a', cmd: 'run-a', labels: { lb: 'yes' } });
    await h.inject('POST', '/v2/apps', { id: 'b', cmd: 'run-b' });
    expect((await h.http.inject({ method: 'GET', url: '/ping' })).body).toBe('pong');
    expect((await h.http.inject({ method: 'GET', url: '/ping', headers: { accept: 'application/json' } })).body).toBe('"pong"');
    expect((await h.inject('GET', '/v2/leader')).json).toEqual({ leader: 'apps.test:8080' });
    expect((await h.inject('GET', '/v2/apps?label=lb==yes')).json).toMatchObject({ apps: [{ id: '/a' }] });
    expect((await h.inject('GET', '/v2/apps?cmd=RUN-B')).json).toMatchObject({ apps: [{ id: '/b' }] });
    const queue = (await h.inject('GET', '/v2/queue')).json as { queue: { count: number; delay: { overdue: boolean } }[] };
    expect(queue.queue).toHaveLength(2);
    expect(queue.queue[0]).toMatchObject({ count: 1, delay: { timeLeftSeconds: 0, overdue: true }, processedOffersSummary: { processedOffersCount: 0 } });
    expect((await h.inject('GET', '/v2/tasks')).json).toEqual({ tasks: [] });
    expect((await h.inject('GET', '/v2/nothing')).status).toBe(404);
  });

  it('lists the apps under a group with /v2/apps/{group}/* and serves /metrics', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: '/prod/a', cmd: 'ab' });
    await h.inject('POST', '/v2/apps', { id: '/prod/b', cmd: 'ab' });
    await h.inject('POST', '/v2/apps', { id: '/dev/c', cmd: 'ab' });
    const under = (await h.inject('GET', '/v2/apps/prod/*')).json as { '*': { id: string }[] };
    expect(under['*'].map((a) => a.id)).toEqual(['/prod/a', '/prod/b']);
    expect((await h.inject('GET', '/v2/apps/prod/*/tasks')).json).toEqual({ tasks: [] });
    expect((await h.inject('GET', '/v2/apps/nope/*')).status).toBe(404);
    expect((await h.inject('GET', '/metrics')).json).toMatchObject({ version: '4.0.0', gauges: { 'marathon.apps.active.gauge': { value: 3 } } });
  });

  it('PUT /v2/apps updates several apps; PATCH /v2/apps needs existing ids', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'a', cmd: 'ab' });
    const res = await h.inject('PUT', '/v2/apps?force=true', [{ id: 'a', instances: 2 }, { id: 'b', cmd: 'cd' }]);
    expect(res.status).toBe(200);
    expect(typeof res.json?.['deploymentId']).toBe('string');
    const apps = (await h.inject('GET', '/v2/apps')).json as { apps: { id: string; instances: number; cmd: string }[] };
    expect(apps.apps.map((a) => [a.id, a.instances, a.cmd])).toEqual([['/a', 2, 'ab'], ['/b', 1, 'cd']]);
    expect((await h.inject('PATCH', '/v2/apps', [{ id: 'zzz', instances: 1 }])).status).toBe(404);
    expect((await h.inject('PUT', '/v2/apps', [{ cmd: 'x' }])).json).toEqual({ message: 'Invalid JSON', details: [{ path: '(0)/id', errors: ['error.path.missing'] }] });
  });

  it('GET /v2/groups builds the group tree from app ids', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: '/prod/web/a', cmd: 'ab' });
    await h.inject('POST', '/v2/apps', { id: '/prod/db', cmd: 'ab' });
    await h.inject('POST', '/v2/apps', { id: '/top', cmd: 'ab' });
    const root = (await h.inject('GET', '/v2/groups')).json as { id: string; apps: { id: string }[]; groups: { id: string; apps: { id: string }[]; groups: { id: string }[] }[] };
    expect(root.id).toBe('/');
    expect(root.apps.map((a) => a.id)).toEqual(['/top']);
    expect(root.groups.map((g) => g.id)).toEqual(['/prod']);
    expect(root.groups[0]?.apps.map((a) => a.id)).toEqual(['/prod/db']);
    expect(root.groups[0]?.groups.map((g) => g.id)).toEqual(['/prod/web']);
    expect((await h.inject('GET', '/v2/groups/prod/web')).json).toMatchObject({ id: '/prod/web', apps: [{ id: '/prod/web/a' }] });
    expect((await h.inject('GET', '/v2/groups/nope')).status).toBe(404);
  });

  it('honours embeds on /v2/apps and answers legacy event subscriptions with 400', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'e', cmd: 'ab' });
    const plain = (await h.inject('GET', '/v2/apps')).json as { apps: Record<string, unknown>[] };
    expect(plain.apps[0]).not.toHaveProperty('tasks');
    expect(plain.apps[0]).toMatchObject({ tasksStaged: 1, deployments: [{ id: expect.any(String) as unknown }] });
    const embedded = (await h.inject('GET', '/v2/apps?embed=apps.tasks&embed=apps.readiness')).json as { apps: Record<string, unknown>[] };
    expect(embedded.apps[0]).toMatchObject({ tasks: [], readinessCheckResults: [] });
    const legacy = (await h.inject('GET', '/v2/apps?embed[0]=apps.tasks')).json as { apps: Record<string, unknown>[] };
    expect(legacy.apps[0]).toHaveProperty('tasks');
    expect((await h.inject('POST', '/v2/eventSubscriptions?callbackUrl=http://x')).status).toBe(400);
  });
});
