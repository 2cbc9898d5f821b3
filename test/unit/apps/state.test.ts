import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { normalizeApp } from '../../../src/apps/model/normalize.js';
import { assignServicePorts } from '../../../src/apps/service/service-ports.js';
import { taskEnv } from '../../../src/apps/service/task-info.js';
import { AppsRepo } from '../../../src/apps/state/repo.js';
import { AppsState } from '../../../src/apps/service/state.js';
import { probe } from '../../../src/apps/health/probes.js';
import { AppsRuntime } from '../../../src/apps/service/runtime.js';
import { SeededRng } from '../../../src/core/rng.js';
import { silentLogger } from '../../../src/core/log.js';
import { RecordingDriver, harness, offer } from './harness.js';

const app = (body: object) => ({ ...normalizeApp({ id: 'x', cmd: 'ab', ...body }), version: 'v' });

describe('service ports', () => {
  it('assigns the lowest free ports, skips other apps and keeps its own across updates', () => {
    const a = assignServicePorts(app({ portDefinitions: [{ port: 0 }, { port: 0 }] }), undefined, new Set([10000]));
    expect(a.portDefinitions.map((p) => p.port)).toEqual([10001, 10002]);
    const updated = assignServicePorts(app({ portDefinitions: [{ port: 0 }, { port: 0 }, { port: 0 }] }), a, new Set([10000, 10003]));
    expect(updated.portDefinitions.map((p) => p.port)).toEqual([10001, 10002, 10004]);
    const fixed = assignServicePorts(app({ portDefinitions: [{ port: 80 }, { port: 0 }] }), undefined, new Set());
    expect(fixed.portDefinitions.map((p) => p.port)).toEqual([80, 10000]);
    expect(() => assignServicePorts(app({ portDefinitions: [{ port: 0 }] }), undefined, new Set([1, 2]), { min: 1, max: 2 })).toThrow(/already in use/);
  });

  it('gives tasks PORT_<n> for required ports and no port vars without ports', () => {
    const required = { ...app({ requirePorts: true, portDefinitions: [{ port: 8080, name: 'web' }] }) };
    expect(taskEnv(required, 't', 'h', [8080])).toMatchObject({ PORT0: '8080', PORT: '8080', PORTS: '8080', PORT_8080: '8080', PORT_WEB: '8080' });
    const none = taskEnv(app({ portDefinitions: [], labels: { 'haproxy.group': 'ext' } }), 't', 'h', []);
    expect(Object.keys(none).filter((k) => k.startsWith('PORT'))).toEqual([]);
    expect(none).toMatchObject({ MARATHON_APP_LABELS: 'HAPROXY_GROUP', MARATHON_APP_LABEL_HAPROXY_GROUP: 'ext' });
  });
});

describe('durable state', () => {
  it('reloads apps, instances, deployments and the framework id from the store, with nothing killed', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'keep', cmd: 'x', cpus: 0.1, mem: 16, instances: 2 });
    await h.runtime.onOffers([offer('h1')]);
    // One of two running: the deployment is still in progress (it ends as soon as both run).
    await h.update(h.driver.tasks[0]?.task_id.value ?? '', 'TASK_RUNNING');
    await h.repo.putFrameworkId('fw-1');
    const reloaded = new AppsState(new AppsRepo(h.store), h.clock);
    await reloaded.load();
    expect([...reloaded.apps.keys()]).toEqual(['/keep']);
    expect([...reloaded.instances.values()].map((i) => i.state).sort()).toEqual(['TASK_RUNNING', 'TASK_STAGING']);
    expect(reloaded.deployments.size).toBe(1);
    expect(reloaded.frameworkId).toBe('fw-1');
    expect(h.driver.killed).toEqual([]);
  });
});

describe('health probes', () => {
  it('HTTP: 2xx/3xx healthy, 5xx unhealthy with the status as cause; TCP: connect', async () => {
    let status = 200;
    const server = createServer((_req, res) => {
      res.statusCode = status;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const check = { protocol: 'HTTP' as const, gracePeriodSeconds: 0, intervalSeconds: 1, timeoutSeconds: 2, maxConsecutiveFailures: 1, delaySeconds: 0, ipProtocol: 'IPv4' as const, portIndex: 0, path: '/' };
    try {
      expect(await probe(check, '127.0.0.1', [port])).toEqual({ ok: true });
      status = 503;
      expect(await probe(check, '127.0.0.1', [port])).toEqual({ ok: false, cause: '503 Service Unavailable' });
      expect(await probe({ ...check, protocol: 'TCP' }, '127.0.0.1', [port])).toEqual({ ok: true });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect((await probe({ ...check, protocol: 'TCP' }, '127.0.0.1', [port]))?.ok).toBe(false);
    expect(probe({ ...check, protocol: 'COMMAND' }, '127.0.0.1', [port])).toBeUndefined();
  });
});

describe('failover in the middle of a rolling restart', () => {
  it('a fresh runtime over the reloaded store finishes the restart without killing healthy new tasks', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'fo', cmd: 'v1', cpus: 0.1, mem: 16, instances: 2, upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0 } });
    await h.runtime.onOffers([offer('h1')]);
    for (const t of h.driver.tasks) await h.update(t.task_id.value, 'TASK_RUNNING');
    await h.runtime.tick();
    await h.inject('PUT', '/v2/apps/fo', { cmd: 'v2' });
    await h.runtime.onOffers([offer('h1')]);
    const firstNew = h.driver.tasks.at(-1)?.task_id.value ?? '';
    await h.update(firstNew, 'TASK_RUNNING');
    await h.runtime.tick();
    expect(h.driver.killed).toHaveLength(1);

    // "kill -9": a new state + runtime over the same store, a new driver.
    const state = new AppsState(new AppsRepo(h.store), h.clock);
    await state.load();
    const driver = new RecordingDriver();
    const runtime = new AppsRuntime(state, driver, new SeededRng(1), silentLogger(), { maxInstancesPerOffer: 5, declineOfferSeconds: 120, minReviveMs: 0, killRetryMs: 30_000 });
    const oldKilled = h.driver.killed[0] ?? '';
    await runtime.onUpdate({ task_id: { value: oldKilled }, state: 'TASK_KILLED' });
    for (let round = 0; round < 5; round++) {
      await runtime.onOffers([offer('h1')]);
      for (const t of driver.tasks) if (state.byTask.has(t.task_id.value)) await runtime.onUpdate({ task_id: { value: t.task_id.value }, state: 'TASK_RUNNING' });
      await runtime.tick();
      for (const k of driver.killed) if (state.byTask.has(k)) await runtime.onUpdate({ task_id: { value: k }, state: 'TASK_KILLED' });
    }
    expect(driver.killed).not.toContain(firstNew);
    expect(state.deployments.size).toBe(0);
    expect(state.instancesOf('/fo')).toHaveLength(2);
    expect(new Set(state.instancesOf('/fo').map((i) => i.configVersion)).size).toBe(1);
  });
});
