/**
 * Issue 7 acceptance items not covered elsewhere (FakeClock, recording driver): the event catalog for a health
 * checked app (add/remove_health_check_event, health_status_changed_event + instance_health_changed_event,
 * unknown_instance_terminated_event, deployment_step_failure on a forced supersede), readiness gating a
 * rolling restart, and invalid app JSON of every kind storing nothing.
 */
import { describe, expect, it } from 'vitest';
import type { MarathonEvent } from '../../../src/apps/events/bus.js';
import type { ProbeResult } from '../../../src/apps/health/tracker.js';
import { ReadinessMonitor } from '../../../src/apps/health/readiness.js';
import { harness, offer } from './harness.js';

describe('event catalog (spec §4.13)', () => {
  it('publishes health check registration, health changes at app and instance level, and unknown terminations', async () => {
    let healthy = true;
    const h = harness(async (): Promise<ProbeResult> => (healthy ? { ok: true } : { ok: false, cause: '503' }));
    const events: MarathonEvent[] = [];
    h.state.events.subscribe((e) => events.push(e));
    const hc = { protocol: 'HTTP', path: '/', gracePeriodSeconds: 10, intervalSeconds: 2, timeoutSeconds: 1, maxConsecutiveFailures: 5 };
    await h.inject('POST', '/v2/apps', { id: 'ev', cmd: 'x', cpus: 0.1, mem: 16, healthChecks: [hc] });
    expect(events.find((e) => e.eventType === 'add_health_check_event')).toMatchObject({ appId: '/ev', healthCheck: { protocol: 'HTTP', path: '/' } });
    await h.runtime.onOffers([offer('h1')]);
    const task = h.driver.tasks[0]?.task_id.value ?? '';
    await h.update(task, 'TASK_RUNNING');
    await h.clock.advance(2000);
    await Promise.all(h.health.tick());
    healthy = false;
    await h.clock.advance(2000);
    await Promise.all(h.health.tick());
    const inst = h.state.instancesOf('/ev')[0];
    const health = events.filter((e) => e.eventType === 'health_status_changed_event' || e.eventType === 'instance_health_changed_event');
    expect(health.map((e) => [e.eventType, e['alive'] ?? e['healthy']])).toEqual([
      ['health_status_changed_event', true], ['instance_health_changed_event', true],
      ['health_status_changed_event', false], ['instance_health_changed_event', false],
    ]);
    expect(health[1]).toMatchObject({ instanceId: inst?.instanceId, runSpecId: '/ev', runSpecVersion: inst?.appVersion });
    expect(events.find((e) => e.eventType === 'instance_changed_event' && e['condition'] === 'Running')).toMatchObject({ instanceId: inst?.instanceId, condition: 'Running', runSpecId: '/ev', host: 'h1' });

    await h.update('gone_app.instance-1234._app.1', 'TASK_FAILED');
    expect(events.find((e) => e.eventType === 'unknown_instance_terminated_event')).toMatchObject({ instanceId: 'gone_app.instance-1234', runSpecId: '/gone/app', condition: 'Failed' });

    // A forced change supersedes the running deployment: its step fails, then the deployment.
    await h.inject('PUT', '/v2/apps/ev', { cmd: 'y' });
    expect((await h.inject('PUT', '/v2/apps/ev', { cmd: 'z' })).status).toBe(409);
    expect(events.find((e) => e.eventType === 'group_change_failed')).toMatchObject({ groupId: '/', reason: expect.stringContaining('locked') as unknown });
    await h.inject('PUT', '/v2/apps/ev?force=true', { cmd: 'z' });
    const types = events.map((e) => e.eventType);
    expect(types.indexOf('deployment_step_failure')).toBeGreaterThan(-1);
    expect(types.indexOf('deployment_failed')).toBe(types.indexOf('deployment_step_failure') + 1);

    await h.inject('DELETE', '/v2/apps/ev');
    expect(events.filter((e) => e.eventType === 'remove_health_check_event').map((e) => e['appId'])).toEqual(['/ev']);
  });
});

describe('readiness gates a rolling restart (spec §4.4, §4.5)', () => {
  it('kills no old instance until the new one is ready, even once it runs healthy', async () => {
    const ready = new Set<string>();
    const h = harness();
    const readiness = new ReadinessMonitor(h.state, async (_https, _host, port) => ({ status: ready.has(String(port)) ? 200 : 503, contentType: 'text/plain', body: '' }));
    const body = {
      id: 'rr', cmd: 'v1', cpus: 0.1, mem: 16, instances: 2, portDefinitions: [{ port: 0, name: 'http-api' }],
      readinessChecks: [{ intervalSeconds: 2, timeoutSeconds: 1 }], upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0 },
    };
    expect((await h.inject('POST', '/v2/apps', body)).status).toBe(201);
    await h.runtime.onOffers([offer('h1')]);
    for (const t of h.driver.tasks) await h.update(t.task_id.value, 'TASK_RUNNING');
    for (const i of h.state.instancesOf('/rr')) for (const p of i.ports) ready.add(String(p));
    await Promise.all(readiness.tick());
    await h.runtime.tick();
    expect(h.state.deployments.size).toBe(0);

    expect((await h.inject('PUT', '/v2/apps/rr', { cmd: 'v2' })).status).toBe(200);
    await h.runtime.onOffers([offer('h1', { ports: [32000, 32100] })]);
    const fresh = h.driver.tasks.filter((t) => t.command?.value === 'v2');
    expect(fresh).toHaveLength(1);
    await h.update(fresh[0]?.task_id.value ?? '', 'TASK_RUNNING');
    for (let round = 0; round < 3; round++) {
      await h.clock.advance(2000);
      await Promise.all(readiness.tick());
      await h.runtime.tick();
      expect(h.driver.killed).toEqual([]);
    }
    const newInst = h.state.instancesOf('/rr').find((i) => i.taskId === fresh[0]?.task_id.value);
    expect(newInst?.readiness?.ready).toBe(false);
    for (const p of newInst?.ports ?? []) ready.add(String(p));
    await h.clock.advance(2000);
    await Promise.all(readiness.tick());
    await h.runtime.tick();
    expect(h.driver.killed).toHaveLength(1);
  });
});

describe('invalid app JSON (issue 7 acceptance)', () => {
  it('answers a bad id, negative instances, an unknown constraint operator and malformed JSON with 400/422, storing nothing', async () => {
    const h = harness();
    const cases: [unknown, number, string][] = [
      [{ id: 'Bad_Id', cmd: 'x' }, 422, '/id'],
      [{ id: 'ok', cmd: 'x', instances: -2 }, 422, '/instances'],
      [{ id: 'ok', cmd: 'x', constraints: [['hostname', 'SOMETIMES']] }, 422, '/constraints(0)'],
      ['{"id": "ok", "cmd": ', 400, ''],
    ];
    for (const [body, status, path] of cases) {
      const res = await h.inject('POST', '/v2/apps', body);
      expect(res.status).toBe(status);
      if (status === 422) expect((res.json as { details: { path: string }[] }).details.map((d) => d.path)).toContain(path);
      else expect(res.json).toMatchObject({ message: 'Invalid JSON' });
      const g = await h.inject('POST', '/v2/groups', typeof body === 'string' ? body : { id: 'grp', apps: [body] });
      expect(g.status).toBe(status);
    }
    expect(h.state.apps.size).toBe(0);
    expect(await h.store.list('apps/')).toEqual([]);
  });
});
