import { describe, expect, it } from 'vitest';
import { applyProbe } from '../../../src/apps/health/tracker.js';
import type { HealthCheck } from '../../../src/apps/model/app.js';
import { isAlive } from '../../../src/apps/model/instance.js';
import { ReadinessMonitor } from '../../../src/apps/health/readiness.js';
import { harness, offer } from './harness.js';

const check: HealthCheck = { protocol: 'HTTP', gracePeriodSeconds: 10, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 2, delaySeconds: 0, ipProtocol: 'IPv4', portIndex: 0, path: '/' };

describe('health tracker', () => {
  it('ignores failures in the grace period until a first success, then kills on failure max+1', () => {
    let out = applyProbe(undefined, { ok: false, cause: 'refused' }, check, 0, 5_000);
    expect(out).toMatchObject({ counted: false, kill: false });
    out = applyProbe(out.health, { ok: false, cause: 'refused' }, check, 0, 11_000);
    expect(out).toMatchObject({ counted: true, kill: false, changed: true });
    expect(isAlive(out.health)).toBe(false);
    out = applyProbe(out.health, { ok: true }, check, 0, 12_000);
    expect(out).toMatchObject({ changed: true });
    expect(isAlive(out.health)).toBe(true);
    const seen: boolean[] = [];
    for (let t = 13_000; t < 16_000; t += 1000) {
      out = applyProbe(out.health, { ok: false, cause: '500' }, check, 0, t);
      seen.push(out.kill);
    }
    expect(seen).toEqual([false, false, true]);
    expect(out.health.lastFailureCause).toBe('500');
    expect(applyProbe(undefined, { ok: false }, { ...check, maxConsecutiveFailures: 0, gracePeriodSeconds: 0 }, 0, 1).kill).toBe(false);
  });
});

describe('restart and stale launches', () => {
  it('POST /v2/apps/{id}/restart replaces every task with a new config version', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'rs', cmd: 'x', cpus: 0.1, mem: 16, instances: 2, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 } });
    await h.runtime.onOffers([offer('h1')]);
    for (const t of h.driver.tasks) await h.update(t.task_id.value, 'TASK_RUNNING');
    await h.runtime.tick();
    const res = await h.inject('POST', '/v2/apps/rs/restart');
    expect(res.status).toBe(200);
    expect(h.driver.killed).toHaveLength(2);
    expect((await h.inject('GET', '/v2/deployments')).json).toMatchObject([{ steps: [{ actions: [{ action: 'RestartApplication', app: '/rs' }] }] }]);
    expect((await h.inject('POST', '/v2/apps/nope/restart')).status).toBe(404);
  });

  it('explicitly reconciles tasks stuck in staging, and replaces them when the master says TASK_LOST', async () => {
    const h = harness();
    const reconciled: string[] = [];
    h.driver.reconcile = async (tasks?: readonly { taskId: string }[]) => {
      reconciled.push(...(tasks ?? []).map((t) => t.taskId));
    };
    await h.inject('POST', '/v2/apps', { id: 'st', cmd: 'x', cpus: 0.1, mem: 16 });
    await h.runtime.onOffers([offer('h1')]);
    const t = h.driver.tasks[0]?.task_id.value ?? '';
    await h.clock.advance(61_000);
    await h.runtime.tick();
    expect(reconciled).toEqual([t]);
    await h.runtime.onUpdate({ task_id: { value: t }, state: 'TASK_LOST', reason: 'REASON_RECONCILIATION' });
    await h.runtime.onOffers([offer('h1')]);
    expect(h.driver.tasks).toHaveLength(2);
  });
});

describe('readiness checks', () => {
  it('validates the port name and timeouts', async () => {
    const h = harness();
    const bad = await h.inject('POST', '/v2/apps', { id: 'rd', cmd: 'x', readinessChecks: [{ portName: 'nope', timeoutSeconds: 40 }] });
    expect(bad.status).toBe(422);
    expect(bad.json?.['details']).toEqual([
      { path: '/readinessChecks(0)/portName', errors: ['No port definition reference for portName nope'] },
      { path: '/readinessChecks(0)/timeoutSeconds', errors: ['must be at least 1 and less than intervalSeconds'] },
    ]);
  });

  it('a deployment finishes only once new instances are ready; results show in /v2/deployments', async () => {
    let status = 503;
    const h = harness();
    const readiness = new ReadinessMonitor(h.state, async () => ({ status, contentType: 'text/plain', body: 'warming' }));
    await h.inject('POST', '/v2/apps', {
      id: 'rd', cmd: 'x', cpus: 0.1, mem: 16, portDefinitions: [{ port: 0, name: 'http-api' }],
      readinessChecks: [{ intervalSeconds: 2, timeoutSeconds: 1, preserveLastResponse: true }],
    });
    await h.runtime.onOffers([offer('h1')]);
    await h.update(h.driver.tasks[0]?.task_id.value ?? '', 'TASK_RUNNING');
    await Promise.all(readiness.tick());
    await h.runtime.tick();
    const deps = (await h.inject('GET', '/v2/deployments')).json as unknown as { currentActions: { readinessCheckResults: unknown[] }[] }[];
    expect(deps).toHaveLength(1);
    expect(deps[0]?.currentActions[0]?.readinessCheckResults).toEqual([
      { name: 'readinessCheck', taskId: h.driver.tasks[0]?.task_id.value, ready: false, lastResponse: { status: 503, contentType: 'text/plain', body: 'warming' } },
    ]);
    status = 200;
    await Promise.all(readiness.tick());
    expect(h.state.instancesOf('/rd')[0]?.readiness?.ready).toBe(false);
    await h.clock.advance(2000);
    await Promise.all(readiness.tick());
    await h.runtime.tick();
    expect((await h.inject('GET', '/v2/deployments')).json).toEqual([]);
  });
});
