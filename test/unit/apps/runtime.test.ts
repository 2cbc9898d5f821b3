import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../../src/apps/health/tracker.js';
import { harness, offer } from './harness.js';

function envOf(task: { command?: { environment?: { variables?: { name: string; value?: string }[] } } }): Record<string, string> {
  return Object.fromEntries((task.command?.environment?.variables ?? []).map((v) => [v.name, v.value ?? '']));
}

describe('apps runtime (FakeClock, recording driver)', () => {
  it('hands the rest of an offer straight back while instances still wait (no 5 s refuse filter)', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'many', cmd: 'sleep 600', cpus: 0.01, mem: 1, instances: 7 });
    await h.runtime.onOffers([offer('h1')]);
    expect(h.driver.launched[0]?.tasks).toHaveLength(5);
    expect(h.driver.launched[0]?.filters).toEqual({ refuse_seconds: 0 });
    await h.runtime.onOffers([offer('h1')]);
    expect(h.driver.launched[1]?.tasks).toHaveLength(2);
    expect(h.driver.launched[1]?.filters).toBeUndefined();
  });

  it('launches scheduled instances into offers with the Marathon environment', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'web', cmd: 'serve', cpus: 0.5, mem: 64, instances: 2, portDefinitions: [{ port: 0, name: 'http' }, { port: 0 }], env: { USER_VAR: 'x' } });
    await h.runtime.onOffers([offer('h1')]);
    expect(h.driver.tasks).toHaveLength(2);
    const t = h.driver.tasks[0];
    const env = envOf(t ?? {});
    expect(t?.name).toBe('web');
    expect(t?.task_id.value).toMatch(/^web\.instance-[0-9a-f-]+\._app\.1$/);
    expect(env).toMatchObject({ HOST: 'h1', MARATHON_APP_ID: '/web', MESOS_TASK_ID: t?.task_id.value, USER_VAR: 'x', MARATHON_APP_RESOURCE_CPUS: '0.5' });
    expect(env['MARATHON_APP_VERSION']).toMatch(/Z$/);
    expect(env['PORTS']).toBe(`${env['PORT0'] ?? ''},${env['PORT1'] ?? ''}`);
    expect(env['PORT']).toBe(env['PORT0']);
    expect(env['PORT_HTTP']).toBe(env['PORT0']);
    const tasks = (await h.inject('GET', '/v2/apps/web/tasks')).json as { tasks: { state: string; host: string; ports: number[] }[] };
    expect(tasks.tasks).toHaveLength(2);
    expect(tasks.tasks[0]).toMatchObject({ state: 'TASK_STAGING', host: 'h1' });
    // Nothing left to launch: the next offer is declined.
    await h.runtime.onOffers([offer('h2')]);
    expect(h.driver.declined).toHaveLength(1);
  });

  it('UNIQUE hostname on 2 agents with 3 instances: 2 run, 1 waits and the queue says why', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'u', cmd: 'x', cpus: 0.1, mem: 16, instances: 3, constraints: [['hostname', 'UNIQUE']] });
    await h.runtime.onOffers([offer('h1'), offer('h2')]);
    expect(h.driver.tasks.map((t) => t.agent_id.value).sort()).toEqual(['agent-h1', 'agent-h2']);
    await h.runtime.onOffers([offer('h1')]);
    expect(h.driver.tasks).toHaveLength(2);
    const q = (await h.inject('GET', '/v2/queue')).json as { queue: { count: number; processedOffersSummary: { unusedOffersCount: number; rejectSummaryLastOffers: { reason: string; declined: number }[] } }[] };
    expect(q.queue[0]?.count).toBe(1);
    expect(q.queue[0]?.processedOffersSummary.unusedOffersCount).toBeGreaterThanOrEqual(1);
    expect(q.queue[0]?.processedOffersSummary.rejectSummaryLastOffers.find((r) => r.reason === 'UnfulfilledConstraint')?.declined).toBeGreaterThanOrEqual(1);
  });

  it('replaces failed tasks with growing back-off and never exceeds the desired count', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'crash', cmd: 'false', cpus: 0.1, mem: 16, backoffSeconds: 1, backoffFactor: 2, maxLaunchDelaySeconds: 3 });
    const delays: number[] = [];
    for (let round = 0; round < 4; round++) {
      await h.runtime.onOffers([offer('h1')]);
      const t = h.driver.tasks.at(-1);
      expect(h.driver.tasks).toHaveLength(round + 1);
      await h.update(t?.task_id.value ?? '', 'TASK_RUNNING');
      await h.update(t?.task_id.value ?? '', 'TASK_FAILED', { message: 'exit 1' });
      expect(h.state.instancesOf('/crash').length).toBe(1);
      const q = (await h.inject('GET', '/v2/queue')).json as { queue: { delay: { timeLeftSeconds: number; overdue: boolean } }[] };
      delays.push(q.queue[0]?.delay.timeLeftSeconds ?? -1);
      expect(q.queue[0]?.delay.overdue).toBe(false);
      // Backed off: an offer now launches nothing.
      await h.runtime.onOffers([offer('h1')]);
      expect(h.driver.tasks).toHaveLength(round + 1);
      await h.clock.advance((delays.at(-1) ?? 0) * 1000);
    }
    expect(delays).toEqual([1, 2, 3, 3]);
    const app = (await h.inject('GET', '/v2/apps/crash')).json as { app: { lastTaskFailure: { state: string; message: string } } };
    expect(app.app.lastTaskFailure).toMatchObject({ state: 'TASK_FAILED', message: 'exit 1' });
  });

  it('scales up, down (youngest killed) and deletes (all killed, then converged)', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 's', cmd: 'x', cpus: 0.1, mem: 16, instances: 2 });
    await h.runtime.onOffers([offer('h1')]);
    for (const t of h.driver.tasks) await h.update(t.task_id.value, 'TASK_RUNNING');
    await h.runtime.tick();
    expect((await h.inject('GET', '/v2/deployments')).json).toEqual([]);
    await h.inject('PUT', '/v2/apps/s', { instances: 3 });
    await h.runtime.onOffers([offer('h1')]);
    expect(h.driver.tasks).toHaveLength(3);
    const third = h.driver.tasks[2]?.task_id.value ?? '';
    await h.clock.advance(1000);
    await h.update(third, 'TASK_RUNNING');
    await h.inject('PUT', '/v2/apps/s?force=true', { instances: 1 });
    expect(h.driver.killed).toHaveLength(2);
    expect(h.driver.killed).toContain(third);
    for (const k of h.driver.killed) await h.update(k, 'TASK_KILLED');
    expect(h.state.instancesOf('/s')).toHaveLength(1);
    await h.inject('DELETE', '/v2/apps/s');
    expect(h.driver.killed).toHaveLength(3);
    await h.update(h.driver.killed[2] ?? '', 'TASK_KILLED');
    await h.runtime.tick();
    expect(h.state.instances.size).toBe(0);
    expect((await h.inject('GET', '/v2/deployments')).json).toEqual([]);
    // A KILLED replacement adds no back-off; unknown running tasks are killed.
    await h.update('ghost', 'TASK_RUNNING');
    expect(h.driver.killed).toContain('ghost');
  });

  it('rolling restart on command change keeps minimumHealthCapacity (sampled) and replaces every task', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'r', cmd: 'v1', cpus: 0.1, mem: 16, instances: 3, upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0 } });
    await h.runtime.onOffers([offer('h1')]);
    for (const t of h.driver.tasks) await h.update(t.task_id.value, 'TASK_RUNNING');
    await h.inject('PUT', '/v2/apps/r?force=true', { cmd: 'v2' });
    const running = () => [...h.state.instances.values()].filter((i) => i.state === 'TASK_RUNNING' && i.goal === 'running').length;
    for (let round = 0; round < 10; round++) {
      await h.runtime.onOffers([offer('h1')]);
      for (const t of h.driver.tasks) if (h.state.byTask.has(t.task_id.value) && h.state.instances.get(h.state.byTask.get(t.task_id.value) ?? '')?.state === 'TASK_STAGING') await h.update(t.task_id.value, 'TASK_RUNNING');
      await h.runtime.tick();
      expect(running()).toBeGreaterThanOrEqual(3);
      expect(h.state.instancesOf('/r').filter((i) => i.goal === 'running').length).toBeLessThanOrEqual(4);
      for (const k of h.driver.killed) if (h.state.byTask.has(k)) await h.update(k, 'TASK_KILLED');
    }
    const cmds = [...h.state.instances.values()].map((i) => i.configVersion);
    expect(h.state.instances.size).toBe(3);
    expect(new Set(cmds).size).toBe(1);
    expect(h.driver.killed).toHaveLength(3);
    expect(h.driver.tasks.filter((t) => t.command?.value === 'v2')).toHaveLength(3);
  });

  it('kills an instance after maxConsecutiveFailures failed HTTP checks and replaces it', async () => {
    let healthy = true;
    const h = harness(async (): Promise<ProbeResult> => (healthy ? { ok: true } : { ok: false, cause: '503 Service Unavailable' }));
    await h.inject('POST', '/v2/apps', {
      id: 'hc', cmd: 'x', cpus: 0.1, mem: 16,
      healthChecks: [{ protocol: 'HTTP', path: '/health', gracePeriodSeconds: 10, intervalSeconds: 2, timeoutSeconds: 1, maxConsecutiveFailures: 2 }],
    });
    await h.runtime.onOffers([offer('h1')]);
    const first = h.driver.tasks[0]?.task_id.value ?? '';
    await h.update(first, 'TASK_RUNNING');
    await h.clock.advance(2000);
    await Promise.all(h.health.tick());
    let app = (await h.inject('GET', '/v2/apps/hc')).json as { app: { tasksHealthy: number; tasks: { healthCheckResults: { alive: boolean }[] }[] } };
    expect(app.app.tasksHealthy).toBe(1);
    expect(app.app.tasks[0]?.healthCheckResults[0]?.alive).toBe(true);
    healthy = false;
    for (let i = 0; i < 3; i++) {
      await h.clock.advance(2000);
      await Promise.all(h.health.tick());
      expect(h.driver.killed).toHaveLength(i < 2 ? 0 : 1);
    }
    app = (await h.inject('GET', '/v2/apps/hc')).json as typeof app;
    expect(app.app.tasksHealthy).toBe(0);
    await h.update(first, 'TASK_KILLED');
    await h.runtime.onOffers([offer('h1')]);
    expect(h.driver.tasks).toHaveLength(2);
  });
});

describe('unreachableStrategy', () => {
  it('waits inactiveAfterSeconds before replacing, expunges after expungeAfterSeconds', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'un', cmd: 'x', cpus: 0.1, mem: 16, unreachableStrategy: { inactiveAfterSeconds: 60, expungeAfterSeconds: 120 } });
    await h.runtime.onOffers([offer('h1')]);
    const t = h.driver.tasks[0]?.task_id.value ?? '';
    await h.update(t, 'TASK_RUNNING');
    await h.update(t, 'TASK_UNREACHABLE');
    await h.runtime.tick();
    await h.runtime.onOffers([offer('h2')]);
    expect(h.driver.tasks).toHaveLength(1);
    await h.clock.advance(60_000);
    await h.runtime.tick();
    await h.runtime.onOffers([offer('h2')]);
    expect(h.driver.tasks).toHaveLength(2);
    await h.clock.advance(60_000);
    await h.runtime.tick();
    expect(h.driver.killed).toEqual([t]);
    expect(h.state.byTask.has(t)).toBe(false);
  });

  it('replaces a lost task at once with the default {0, 0}', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'un0', cmd: 'x', cpus: 0.1, mem: 16 });
    await h.runtime.onOffers([offer('h1')]);
    await h.update(h.driver.tasks[0]?.task_id.value ?? '', 'TASK_LOST', { reason: 'REASON_AGENT_DISCONNECTED' });
    await h.runtime.onOffers([offer('h2')]);
    expect(h.driver.tasks).toHaveLength(2);
  });
});
