import { describe, expect, it } from 'vitest';
import type { MarathonEvent } from '../../../src/apps/events/bus.js';
import { harness, offer } from './harness.js';

type H = ReturnType<typeof harness>;

function recordEvents(h: H): MarathonEvent[] {
  const seen: MarathonEvent[] = [];
  h.state.events.subscribe((e) => seen.push(e));
  return seen;
}

const tasksOf = (h: H, appId: string) => h.state.instancesOf(appId).filter((i) => i.goal === 'running');

/** Launches every scheduled instance and reports each launched task running. */
async function runAll(h: H): Promise<void> {
  const before = h.driver.tasks.length;
  await h.runtime.onOffers([offer('h1')]);
  for (const t of h.driver.tasks.slice(before)) await h.update(t.task_id.value, 'TASK_RUNNING');
}

const groupAB = {
  id: 'g',
  apps: [
    { id: 'a', cmd: 'first-a', cpus: 0.1, mem: 16, instances: 2 },
    { id: 'b', cmd: 'first-b', cpus: 0.1, mem: 16, dependencies: ['a'] },
  ],
};

describe('group deployments (FakeClock, recording driver)', () => {
  it('makes one plan per change and starts B only after A (its dependency) has converged', async () => {
    const h = harness();
    const events = recordEvents(h);
    const res = await h.inject('POST', '/v2/groups', groupAB);
    expect(res.status).toBe(201);
    expect(h.state.deployments.size).toBe(1);
    const dep = (await h.inject('GET', '/v2/deployments')).json as unknown as Record<string, unknown>[];
    expect(dep[0]).toMatchObject({
      id: res.headers['marathon-deployment-id'], affectedApps: ['/g/a', '/g/b'], currentStep: 2, totalSteps: 3,
      steps: [
        { actions: [{ action: 'StartApplication', app: '/g/a' }, { action: 'StartApplication', app: '/g/b' }] },
        { actions: [{ action: 'ScaleApplication', app: '/g/a' }] },
        { actions: [{ action: 'ScaleApplication', app: '/g/b' }] },
      ],
    });
    // B is held: A is scheduled, B is not.
    expect(tasksOf(h, '/g/a')).toHaveLength(2);
    expect(tasksOf(h, '/g/b')).toHaveLength(0);
    await h.runtime.tick();
    await h.runtime.onOffers([offer('h1')]);
    expect(h.driver.tasks.map((t) => t.name)).toEqual(['a.g', 'a.g']);
    await h.runtime.tick();
    expect(tasksOf(h, '/g/b')).toHaveLength(0);
    for (const t of h.driver.tasks) await h.update(t.task_id.value, 'TASK_RUNNING');
    await h.runtime.tick();
    expect(tasksOf(h, '/g/b')).toHaveLength(1);
    expect(((await h.inject('GET', '/v2/deployments')).json as unknown as { currentStep: number }[])[0]?.currentStep).toBe(3);
    await runAll(h);
    await h.runtime.tick();
    expect(h.state.deployments.size).toBe(0);
    const types = events.map((e) => e.eventType).filter((t) => t.startsWith('deployment_') || t.startsWith('group_'));
    expect(types).toEqual([
      'group_change_success', 'deployment_info',
      'deployment_step_success', 'deployment_info', 'deployment_step_success', 'deployment_info',
      'deployment_step_success', 'deployment_success',
    ]);
    const infos = events.filter((e) => e.eventType === 'deployment_info').map((e) => (e['currentStep'] as { actions: { action: string }[] }).actions[0]?.action);
    expect(infos).toEqual(['StartApplication', 'ScaleApplication', 'ScaleApplication']);
    expect(events.some((e) => e.eventType === 'instance_changed_event' && e['condition'] === 'Running')).toBe(true);
  });

  it('stops dependents before their dependencies when a group is deleted', async () => {
    const h = harness();
    await h.inject('POST', '/v2/groups', groupAB);
    await h.runtime.tick();
    await runAll(h);
    await h.runtime.tick();
    await runAll(h);
    await h.runtime.tick();
    expect(h.state.deployments.size).toBe(0);
    const events = recordEvents(h);
    const del = await h.inject('DELETE', '/v2/groups/g');
    expect(del.status).toBe(200);
    const killedB = h.driver.killed.filter((t) => t.startsWith('g_b.'));
    expect(killedB).toHaveLength(1);
    expect(h.driver.killed.filter((t) => t.startsWith('g_a.'))).toHaveLength(0);
    await h.runtime.tick();
    expect(h.driver.killed.filter((t) => t.startsWith('g_a.'))).toHaveLength(0);
    await h.update(killedB[0] ?? '', 'TASK_KILLED');
    await h.runtime.tick();
    const killedA = h.driver.killed.filter((t) => t.startsWith('g_a.'));
    expect(killedA).toHaveLength(2);
    for (const t of killedA) await h.update(t, 'TASK_KILLED');
    await h.runtime.tick();
    expect(h.state.deployments.size).toBe(0);
    expect(events.filter((e) => e.eventType === 'app_terminated_event').map((e) => e['appId'])).toEqual(['/g/b', '/g/a']);
    expect((await h.inject('GET', '/v2/groups/g')).status).toBe(404);
  });

  it('dryRun answers the steps and changes nothing', async () => {
    const h = harness();
    await h.inject('POST', '/v2/groups', { id: 'g', apps: [{ id: 'a', cmd: 'x', cpus: 0.1, mem: 16 }] });
    const deployments = [...h.state.deployments.keys()];
    const dry = await h.inject('PUT', '/v2/groups/g?dryRun=true', { apps: [{ id: 'a', cmd: 'y' }, { id: 'c', cmd: 'z', dependencies: ['a'] }] });
    expect(dry.status).toBe(200);
    expect(dry.json).toEqual({
      steps: [
        { actions: [{ action: 'StartApplication', app: '/g/c' }] },
        { actions: [{ action: 'RestartApplication', app: '/g/a' }] },
        { actions: [{ action: 'ScaleApplication', app: '/g/c' }] },
      ],
    });
    expect(dry.headers['marathon-deployment-id']).toBeUndefined();
    expect([...h.state.apps.keys()]).toEqual(['/g/a']);
    expect(h.state.apps.get('/g/a')?.cmd).toBe('x');
    expect([...h.state.deployments.keys()]).toEqual(deployments);
    expect(await h.state.groupRepo.snapshotVersions()).toHaveLength(1);
  });

  it('keeps group versions and rolls a subtree back to one of them', async () => {
    const h = harness();
    await h.inject('POST', '/v2/groups', groupAB);
    await h.clock.advance(1000);
    const upd = await h.inject('PUT', '/v2/groups/g?force=true', { apps: [{ id: 'a', cmd: 'second-a', instances: 2 }] });
    expect(upd.status).toBe(200);
    expect([...h.state.apps.keys()]).toEqual(['/g/a']);
    const versions = (await h.inject('GET', '/v2/groups/g/versions')).json as unknown as string[];
    expect(versions).toHaveLength(2);
    const first = versions.at(-1) ?? '';
    const old = (await h.inject('GET', `/v2/groups/g/versions/${first}`)).json as { apps: { id: string; cmd: string }[] };
    expect(old.apps.map((a) => [a.id, a.cmd])).toEqual([['/g/a', 'first-a'], ['/g/b', 'first-b']]);
    expect((await h.inject('PUT', '/v2/groups/g?force=true', { version: first, apps: [] })).status).toBe(422);
    const back = await h.inject('PUT', '/v2/groups/g?force=true', { version: first });
    expect(back.status).toBe(200);
    expect(h.state.apps.get('/g/a')?.cmd).toBe('first-a');
    expect(h.state.apps.get('/g/b')?.dependencies).toEqual(['/g/a']);
    const d = h.state.deployments.get(String(back.headers['marathon-deployment-id']));
    expect(d?.original?.['/g/a']?.cmd).toBe('second-a');
    expect(d?.original?.['/g/b']).toBeNull();
    expect(d?.steps.map((s) => s.actions.map((a) => `${a.action} ${a.app}`))).toEqual([['StartApplication /g/b'], ['RestartApplication /g/a'], ['ScaleApplication /g/b']]);
    expect((await h.inject('PUT', '/v2/groups/g?force=true', { version: '2001-01-01T00:00:00.000Z' })).status).toBe(422);
  });

  it('cancels a group deployment with a rollback plan, or just stops it with force', async () => {
    const h = harness();
    await h.inject('POST', '/v2/groups', { id: 'g', apps: [{ id: 'a', cmd: 'x', cpus: 0.1, mem: 16 }] });
    await runAll(h);
    await h.runtime.tick();
    expect(h.state.deployments.size).toBe(0);
    const upd = await h.inject('PUT', '/v2/groups/g', { apps: [{ id: 'a', cmd: 'x2' }, { id: 'n', cmd: 'new', cpus: 0.1, mem: 16 }] });
    const id = String(upd.headers['marathon-deployment-id']);
    // A second change touching the same apps is locked.
    const locked = await h.inject('PUT', '/v2/groups/g', { scaleBy: 2 });
    expect(locked.status).toBe(409);
    expect(locked.json).toMatchObject({ deployments: [{ id }] });
    const cancel = await h.inject('DELETE', `/v2/deployments/${id}`);
    expect(cancel.status).toBe(200);
    const rollbackId = String(cancel.headers['marathon-deployment-id']);
    expect(rollbackId).not.toBe(id);
    expect(h.state.deployments.has(id)).toBe(false);
    expect(h.state.apps.get('/g/a')?.cmd).toBe('x');
    expect(h.state.apps.has('/g/n')).toBe(false);
    const rb = h.state.deployments.get(rollbackId);
    expect(rb?.steps.flatMap((s) => s.actions.map((a) => `${a.action} ${a.app}`))).toEqual(['StopApplication /g/n', 'RestartApplication /g/a']);
    const forced = await h.inject('DELETE', `/v2/deployments/${rollbackId}?force=true`);
    expect(forced.status).toBe(202);
    expect(h.state.deployments.size).toBe(0);
  });

  it('rejects cycles and app/group id clashes with 422, storing nothing and publishing group_change_failed', async () => {
    const h = harness();
    const events = recordEvents(h);
    const cyc = await h.inject('POST', '/v2/groups', { id: 'c', apps: [{ id: 'x', cmd: 'a', dependencies: ['y'] }, { id: 'y', cmd: 'b', dependencies: ['x'] }] });
    expect(cyc.status).toBe(422);
    expect(cyc.json).toEqual({ message: 'Object is not valid', details: [{ path: '/', errors: ['Dependency graph has cyclic dependencies.'] }] });
    expect(h.state.apps.size).toBe(0);
    expect(h.state.deployments.size).toBe(0);
    expect(events.find((e) => e.eventType === 'group_change_failed')).toMatchObject({ groupId: '/c', reason: 'Object is not valid' });
    const clash = await h.inject('POST', '/v2/groups', { id: 'k', apps: [{ id: 'x', cmd: 'a' }], groups: [{ id: 'x', apps: [{ id: 'y', cmd: 'b' }] }] });
    expect(clash.status).toBe(422);
    expect(h.state.apps.size).toBe(0);
  });

  it('serves explicit groups with dependencies, enforceRole, embeds and /apps', async () => {
    const h = harness();
    expect((await h.inject('POST', '/v2/groups', { id: 'prod', dependencies: ['/data'], groups: [{ id: 'empty' }] })).status).toBe(201);
    await h.inject('POST', '/v2/groups/prod', { id: 'svc', apps: [{ id: 'web', cmd: 'x' }] });
    const prod = (await h.inject('GET', '/v2/groups/prod')).json as Record<string, unknown>;
    expect(prod).toMatchObject({ id: '/prod', dependencies: ['/data'], apps: [], pods: [] });
    expect((prod['groups'] as { id: string }[]).map((g) => g.id)).toEqual(['/prod/empty', '/prod/svc']);
    expect((await h.inject('PATCH', '/v2/groups/prod', { enforceRole: true })).status).toBe(200);
    expect((await h.inject('PATCH', '/v2/groups/prod/svc', { enforceRole: true })).status).toBe(422);
    expect((await h.inject('PATCH', '/v2/groups/nope', { enforceRole: true })).status).toBe(404);
    expect(((await h.inject('GET', '/v2/groups/prod')).json as Record<string, unknown>)['enforceRole']).toBe(true);
    const onlyApps = (await h.inject('GET', '/v2/groups/prod/svc?embed=group.apps&embed=group.apps.counts')).json as Record<string, unknown>;
    expect(onlyApps['groups']).toBeUndefined();
    expect((onlyApps['apps'] as Record<string, unknown>[])[0]).toMatchObject({ id: '/prod/svc/web', tasksRunning: 0 });
    const list = (await h.inject('GET', '/v2/groups/prod/apps')).json as unknown as { id: string }[];
    expect(list.map((a) => a.id)).toEqual(['/prod/svc/web']);
    expect((await h.inject('POST', '/v2/groups', { id: 'prod' })).status).toBe(409);
  });

  it('PUT /v2/apps with several apps makes one plan for all of them, api_post_event first', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'a', cmd: 'ab' });
    await runAll(h);
    await h.runtime.tick();
    const events = recordEvents(h);
    const res = await h.inject('PUT', '/v2/apps', [{ id: 'a', instances: 2 }, { id: 'b', cmd: 'cd', dependencies: ['/a'] }]);
    expect(res.status).toBe(200);
    expect(h.state.deployments.size).toBe(1);
    const d = h.state.deployments.get(String(res.headers['marathon-deployment-id']));
    expect(d?.affectedApps).toEqual(['/b', '/a']);
    expect(d?.steps.map((s) => s.actions.map((a) => `${a.action} ${a.app}`))).toEqual([['StartApplication /b'], ['ScaleApplication /a'], ['ScaleApplication /b']]);
    expect(events.map((e) => e.eventType).slice(0, 4)).toEqual(['api_post_event', 'api_post_event', 'group_change_success', 'deployment_info']);
    // All or nothing: one invalid app stores none of them.
    const bad = await h.inject('PUT', '/v2/apps', [{ id: 'c', cmd: 'x' }, { id: 'd', cmd: 'y', instances: -1 }]);
    expect(bad.status).toBe(422);
    expect(h.state.apps.has('/c')).toBe(false);
  });

  it('cancelling the deployment of an app delete re-creates the app', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'x', cmd: 'keep-me', instances: 2 });
    await runAll(h);
    await h.runtime.tick();
    const del = await h.inject('DELETE', '/v2/apps/x');
    expect(h.state.apps.has('/x')).toBe(false);
    const cancel = await h.inject('DELETE', `/v2/deployments/${String(del.headers['marathon-deployment-id'])}`);
    expect(cancel.status).toBe(200);
    expect(h.state.apps.get('/x')).toMatchObject({ cmd: 'keep-me', instances: 2 });
  });
});
