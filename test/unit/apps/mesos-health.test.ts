import { describe, expect, it } from 'vitest';
import { harness, offer } from './harness.js';

describe('Mesos-side health checks (COMMAND, MESOS_HTTP, MESOS_TCP)', () => {
  it('hands the first Mesos-side check to the agent as TaskInfo.health_check on the task\'s host port', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', {
      id: 'mh', cmd: 'serve', cpus: 0.1, mem: 16, portDefinitions: [{ port: 0 }, { port: 0 }],
      healthChecks: [
        { protocol: 'HTTP', path: '/marathon-side' },
        { protocol: 'MESOS_HTTP', path: '/ping', portIndex: 1, gracePeriodSeconds: 7, intervalSeconds: 3, timeoutSeconds: 2, maxConsecutiveFailures: 4, delaySeconds: 1 },
      ],
    });
    await h.runtime.onOffers([offer('h1')]);
    const t = h.driver.tasks[0];
    const port1 = Number(t?.command?.environment?.variables?.find((v) => v.name === 'PORT1')?.value);
    expect(t?.health_check).toEqual({
      type: 'HTTP', http: { protocol: 'IPv4', scheme: 'http', port: port1, path: '/ping' },
      delay_seconds: 1, interval_seconds: 3, timeout_seconds: 2, consecutive_failures: 4, grace_period_seconds: 7,
    });

    const c = harness();
    await c.inject('POST', '/v2/apps', { id: 'cmd', cmd: 'serve', cpus: 0.1, mem: 16, healthChecks: [{ protocol: 'COMMAND', command: { value: 'test -f ready' } }] });
    await c.runtime.onOffers([offer('h1')]);
    expect(c.driver.tasks[0]?.health_check).toMatchObject({ type: 'COMMAND', command: { shell: true, value: 'test -f ready' } });
    const plain = harness();
    await plain.inject('POST', '/v2/apps', { id: 'plain', cmd: 'x', cpus: 0.1, mem: 16, healthChecks: [{ protocol: 'TCP' }] });
    await plain.runtime.onOffers([offer('h1')]);
    expect(plain.driver.tasks[0]?.health_check).toBeUndefined();
  });

  it('records `healthy` from status updates, publishes the health events, and converges only when healthy', async () => {
    const h = harness();
    const events: string[] = [];
    h.state.events.subscribe((e) => {
      events.push(e.eventType);
    });
    await h.inject('POST', '/v2/apps', { id: 'mt', cmd: 'serve', cpus: 0.1, mem: 16, portDefinitions: [{ port: 0 }], healthChecks: [{ protocol: 'MESOS_TCP' }] });
    await h.runtime.onOffers([offer('h1')]);
    const id = h.driver.tasks[0]?.task_id.value ?? '';
    await h.update(id, 'TASK_RUNNING');
    await h.runtime.tick();
    expect(h.state.deployments.size).toBe(1); // running but not yet known healthy
    await h.runtime.onUpdate({ task_id: { value: id }, state: 'TASK_RUNNING', healthy: true, uuid: 'u-healthy', agent_id: { value: 'agent-h1' }, reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED' });
    let app = (await h.inject('GET', '/v2/apps/mt')).json as { app: { tasksHealthy: number; tasksUnhealthy: number } };
    expect(app.app.tasksHealthy).toBe(1);
    await h.runtime.tick();
    expect(h.state.deployments.size).toBe(0);
    await h.runtime.onUpdate({ task_id: { value: id }, state: 'TASK_RUNNING', healthy: false, uuid: 'u-sick', agent_id: { value: 'agent-h1' }, message: 'connection refused' });
    app = (await h.inject('GET', '/v2/apps/mt')).json as typeof app;
    expect(app.app.tasksUnhealthy).toBe(1);
    expect(events.filter((e) => e === 'health_status_changed_event')).toHaveLength(2);
    expect(events).toContain('failed_health_check_event');
    // The agent kills it; the framework replaces it (it never kills for a Mesos-side check itself).
    expect(h.driver.killed).toEqual([]);
    await h.update(id, 'TASK_KILLED', { healthy: false });
    await h.runtime.onOffers([offer('h1')]);
    expect(h.driver.tasks).toHaveLength(2);
  });
});
