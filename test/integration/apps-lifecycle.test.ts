/**
 * `agora apps` against a real master and agents: create an app of 2 instances, see them running through
 * /v2/apps/{id}/tasks, scale to 3 then 1, delete it (no task left on the master), and an app of an enforceRole
 * group runs in the group's role, added to the framework's roles; then a health-checked app
 * survives a kill -9 of agora apps, gets a killed task replaced (its events, health_status_changed_event
 * included, seen by an SSE client) and a rolling restart within its capacity.
 */
import { EventSource } from 'eventsource';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { freePort, getJson, isHealthy, rawRequest, spawnAgora, startCluster, tempDir, waitFor, type Daemon } from '../helpers/index.js';

useCleanup();

interface TaskJson {
  id: string;
  state: string;
  host: string;
  ports: number[];
}

async function startAppsDaemon(master: Daemon, where?: { workDir: string; port: number }): Promise<string> {
  const workDir = where?.workDir ?? tempDir('agora-apps-');
  const port = where?.port ?? (await freePort());
  const p = spawnAgora(`apps-${port}`, [
    'apps', '--port', String(port), '--master', master.hostPort, '--work_dir', workDir, '--hostname', '127.0.0.1',
    '--tick_interval', '200ms', '--min_revive_offers_interval', '200ms', '--decline_offer_duration', '1secs',
  ], workDir);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (p.exitCode() !== undefined) throw new Error(`apps exited: ${p.log()}`);
    return isHealthy(url);
  }, { timeoutMs: 30_000, what: 'agora apps /health' });
  lastApps = { workDir, port, proc: p };
  return url;
}

let lastApps: { workDir: string; port: number; proc: { kill(signal?: NodeJS.Signals): Promise<number> } } | undefined;

async function send(method: string, url: string, body?: unknown): Promise<{ status: number; json: unknown; headers: Record<string, unknown> }> {
  const res = await rawRequest(url, { method, headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, json: res.body === '' ? undefined : JSON.parse(res.body), headers: res.headers };
}

async function runningTasks(url: string, id: string): Promise<TaskJson[]> {
  const body = await getJson<{ tasks: TaskJson[] }>(`${url}/v2/apps${id}/tasks`);
  return body.tasks;
}

async function waitRunning(url: string, id: string, n: number): Promise<TaskJson[]> {
  return waitFor(async () => {
    const tasks = await runningTasks(url, id);
    return tasks.length === n && tasks.every((t) => t.state === 'TASK_RUNNING') ? tasks : undefined;
  }, { timeoutMs: 20_000, what: `${n} running tasks of ${id}` });
}

async function deploymentsDone(url: string): Promise<void> {
  await waitFor(async () => (await getJson<unknown[]>(`${url}/v2/deployments`)).length === 0, { timeoutMs: 10_000, what: 'deployments finished' });
}

describe('agora apps with a real master and agent', () => {
  it('creates, scales up and down, and deletes an app', async () => {
    const { master } = await startCluster();
    const url = await startAppsDaemon(master);
    const id = '/it/sleeper';

    const created = await send('POST', `${url}/v2/apps`, { id, cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 2 });
    expect(created.status).toBe(201);
    expect(created.headers['location']).toBe(`${url}${id}`);
    expect(typeof created.headers['marathon-deployment-id']).toBe('string');
    expect(created.json).toMatchObject({ id, instances: 2, tasksRunning: 0, labels: {} });

    const two = await waitRunning(url, id, 2);
    for (const t of two) {
      expect(t.id.startsWith('it_sleeper.instance-')).toBe(true);
      expect(t.ports).toHaveLength(1);
    }
    const app = await getJson<{ app: { tasksRunning: number; portDefinitions: { port: number }[] } }>(`${url}/v2/apps${id}`);
    expect(app.app.tasksRunning).toBe(2);
    expect(app.app.portDefinitions[0]?.port).toBe(10000);
    await deploymentsDone(url);

    const up = await send('PUT', `${url}/v2/apps${id}`, { instances: 3 });
    expect(up.status).toBe(200);
    const result = up.json as { deploymentId: unknown; version: unknown };
    expect(typeof result.deploymentId).toBe('string');
    expect(typeof result.version).toBe('string');
    const three = await waitRunning(url, id, 3);
    expect(three.map((t) => t.id)).toEqual(expect.arrayContaining(two.map((t) => t.id)));
    await deploymentsDone(url);

    expect((await send('PATCH', `${url}/v2/apps${id}`, { instances: 1 })).status).toBe(200);
    await waitRunning(url, id, 1);

    const del = await send('DELETE', `${url}/v2/apps${id}`);
    expect(del.status).toBe(200);
    expect((await send('GET', `${url}/v2/apps${id}`)).status).toBe(404);
    await waitFor(async () => {
      const state = await getJson<{ frameworks: { name: string; tasks: { state: string }[] }[] }>(`${master.url}/master/state`);
      const fw = state.frameworks.find((f) => f.name === 'marathon');
      return fw !== undefined && fw.tasks.filter((t) => t.state !== 'TASK_KILLED' && t.state !== 'TASK_FINISHED').length === 0;
    }, { timeoutMs: 20_000, what: 'no task of the app left on the master' });
    expect((await send('GET', `${url}/v2/tasks`)).json).toEqual({ tasks: [] });

    // An app in an enforceRole group gets the group's role, and the framework subscribes to it (UPDATE_FRAMEWORK).
    expect((await send('POST', `${url}/v2/groups`, { id: '/dev', enforceRole: true, apps: [{ id: 'r', cmd: 'sleep 1000', cpus: 0.1, mem: 16 }] })).status).toBe(201);
    expect(((await getJson<{ app: { role: string } }>(`${url}/v2/apps/dev/r`)).app.role)).toBe('dev');
    await waitRunning(url, '/dev/r', 1);
    await waitFor(async () => {
      const state = await getJson<{ frameworks: { name: string; roles?: string[] }[] }>(`${master.url}/master/state`);
      return state.frameworks.find((f) => f.name === 'marathon')?.roles?.includes('dev') === true;
    }, { timeoutMs: 10_000, what: 'framework roles include dev' });
    expect((await send('DELETE', `${url}/v2/groups/dev?force=true`)).status).toBe(200);
    await waitFor(async () => (await getJson<{ tasks: unknown[] }>(`${url}/v2/tasks`)).tasks.length === 0, { timeoutMs: 20_000, what: 'the group app stopped' });
  }, 60_000);

  it('health-checked app on 2 agents: survives a kill -9 of agora apps, replaces a killed task, rolls a command change within minimumHealthCapacity', async () => {
    const { master } = await startCluster({ agents: 2 });
    const url = await startAppsDaemon(master);
    const id = '/it/roll';
    const server = (v: string) => `${process.execPath} -e "require('http').createServer((q, s) => s.end('${v}')).listen(process.env.PORT0)"`;
    const hc = [{ protocol: 'HTTP', path: '/', gracePeriodSeconds: 20, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 3 }];
    await send('POST', `${url}/v2/apps`, { id, cmd: server('v1'), cpus: 0.1, mem: 32, instances: 3, healthChecks: hc, upgradeStrategy: { minimumHealthCapacity: 0.67, maximumOverCapacity: 0 } });
    const appNow = async () => (await getJson<{ app: { tasksHealthy: number; tasks: (TaskJson & { healthCheckResults: { alive: boolean }[] })[] } }>(`${url}/v2/apps${id}`)).app;
    await waitFor(async () => (await appNow()).tasksHealthy === 3, { timeoutMs: 20_000, what: '3 healthy' });
    await deploymentsDone(url);
    const before = (await appNow()).tasks.map((t) => t.id).sort();

    // kill -9 and restart on the same work dir and port: the same tasks, nothing killed.
    const where = lastApps as NonNullable<typeof lastApps>;
    await where.proc.kill('SIGKILL');
    await startAppsDaemon(master, { workDir: where.workDir, port: where.port });
    await waitFor(async () => (await appNow()).tasksHealthy === 3, { timeoutMs: 20_000, what: '3 healthy after restart' });
    expect((await appNow()).tasks.map((t) => t.id).sort()).toEqual(before);
    const state = await getJson<{ frameworks: { name: string; tasks: { id: string; state: string }[] }[] }>(`${master.url}/master/state`);
    const onMaster = state.frameworks.find((f) => f.name === 'marathon')?.tasks ?? [];
    expect(onMaster.filter((t) => t.state === 'TASK_RUNNING').map((t) => t.id).sort()).toEqual(before);

    // A killed task is replaced; an SSE client (the `eventsource` package the Marathon JS clients use) sees
    // the kill, the replacement scheduled, and its health flip to alive (spec §4.13).
    const seen: { type: string; data: Record<string, unknown> }[] = [];
    const es = new EventSource(`${url}/v2/events`);
    try {
      for (const type of ['status_update_event', 'instance_changed_event', 'health_status_changed_event']) {
        es.addEventListener(type, (e) => seen.push({ type, data: JSON.parse(String(e.data)) as Record<string, unknown> }));
      }
      await waitFor(() => es.readyState === EventSource.OPEN, { timeoutMs: 10_000, what: 'event stream open' });
      expect((await send('DELETE', `${url}/v2/apps${id}/tasks/${before[0] ?? ''}`)).status).toBe(200);
      await waitFor(async () => {
        const a = await appNow();
        return a.tasksHealthy === 3 && !a.tasks.some((t) => t.id === before[0]);
      }, { timeoutMs: 20_000, what: 'replacement healthy' });
      const replacement = (await appNow()).tasks.find((t) => !before.includes(t.id))?.id.replace(/\._app\.\d+$/, '');
      await waitFor(() => seen.some((e) => e.type === 'health_status_changed_event' && e.data['instanceId'] === replacement && e.data['alive'] === true), { timeoutMs: 10_000, what: 'health_status_changed_event over SSE' });
      expect(seen.find((e) => e.type === 'health_status_changed_event')?.data).toMatchObject({ appId: id, alive: true, eventType: 'health_status_changed_event' });
      expect(seen.some((e) => e.type === 'status_update_event' && e.data['taskId'] === before[0] && e.data['taskStatus'] === 'TASK_KILLED')).toBe(true);
      expect(seen.some((e) => e.type === 'instance_changed_event' && e.data['instanceId'] === replacement && e.data['condition'] === 'Scheduled')).toBe(true);
    } finally {
      es.close();
    }

    const old = (await appNow()).tasks.map((t) => t.id);
    expect((await send('PUT', `${url}/v2/apps${id}`, { cmd: server('v2') })).status).toBe(200);
    let minHealthy = 3;
    await waitFor(async () => {
      const a = await appNow();
      const alive = a.tasks.filter((t) => t.state === 'TASK_RUNNING' && t.healthCheckResults.some((r) => r.alive)).length;
      minHealthy = Math.min(minHealthy, alive);
      const deps = await getJson<unknown[]>(`${url}/v2/deployments`);
      return deps.length === 0 && a.tasks.length === 3 && a.tasks.every((t) => !old.includes(t.id)) && a.tasksHealthy === 3;
    }, { timeoutMs: 25_000, what: 'rolling restart done', intervalMs: 50 });
    expect(minHealthy).toBeGreaterThanOrEqual(2);
    expect((await send('DELETE', `${url}/v2/apps${id}`)).status).toBe(200);
    await waitFor(async () => (await getJson<{ tasks: unknown[] }>(`${url}/v2/tasks`)).tasks.length === 0, { timeoutMs: 20_000, what: 'tasks gone' });
  }, 60_000);
});
