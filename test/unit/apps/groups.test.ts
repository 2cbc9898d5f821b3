import { describe, expect, it } from 'vitest';
import { harness } from './harness.js';

describe('group writes', () => {
  it('creates a group of apps with relative ids, replaces its app set, scales it and deletes it', async () => {
    const h = harness();
    const created = await h.inject('POST', '/v2/groups', { id: 'prod', apps: [{ id: 'web', cmd: 'ab' }, { id: 'db', cmd: 'cd', instances: 2 }] });
    expect(created.status).toBe(201);
    expect(created.headers['location']).toBe('http://apps.test:8080/prod');
    expect(typeof created.headers['marathon-deployment-id']).toBe('string');
    expect([...h.state.apps.keys()].sort()).toEqual(['/prod/db', '/prod/web']);
    expect((await h.inject('POST', '/v2/groups', { id: 'prod' })).status).toBe(409);

    const scaled = await h.inject('PUT', '/v2/groups/prod?force=true', { scaleBy: 2 });
    expect(scaled.status).toBe(200);
    expect(h.state.apps.get('/prod/db')?.instances).toBe(4);
    expect(h.state.apps.get('/prod/web')?.instances).toBe(2);

    await h.inject('PUT', '/v2/groups/prod?force=true', { apps: [{ id: 'web', instances: 1 }] });
    expect([...h.state.apps.keys()]).toEqual(['/prod/web']);
    expect(h.state.apps.get('/prod/web')?.cmd).toBe('ab');

    expect((await h.inject('DELETE', '/v2/groups/prod?force=true')).status).toBe(200);
    expect(h.state.apps.size).toBe(0);
    expect((await h.inject('DELETE', '/v2/groups/prod')).status).toBe(404);
    const bad = await h.inject('POST', '/v2/groups', { id: 'g', apps: [{ id: 'Bad', cmd: 'ab' }] });
    expect(bad.status).toBe(422);
    expect(h.state.apps.size).toBe(0);
  });
});
