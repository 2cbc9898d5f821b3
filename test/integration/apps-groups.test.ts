/**
 * Groups on a real master and agent (ADR 0044): a group of two apps where B depends on A — B gets no task
 * before both of A's tasks are healthy (sampled throughout); `dryRun=true` answers steps and deploys nothing;
 * a group update restarts B, and a rollback of the group to its first version brings the first command back.
 */
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { getJson, rawRequest, startAppsDaemon, startCluster, waitFor } from '../helpers/index.js';

useCleanup();

interface AppInfo {
  id: string;
  cmd: string;
  version: string;
  tasksHealthy: number;
  tasks: { id: string; state: string; version: string }[];
}

async function send(method: string, url: string, body?: unknown): Promise<{ status: number; json: unknown; headers: Record<string, unknown> }> {
  const res = await rawRequest(url, { method, headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, json: res.body === '' ? undefined : JSON.parse(res.body), headers: res.headers };
}

describe('agora apps groups with a real master and agent', () => {
  it('orders B after a healthy A, dry-runs without deploying, and rolls the group back to its first version', async () => {
    const { master } = await startCluster();
    const url = await startAppsDaemon(master.hostPort, 'agora-apps-groups-');
    // A listens only after a second, so "healthy" takes a while and B's start is measurably gated on it.
    const server = `${process.execPath} -e "setTimeout(() => require('http').createServer((q, s) => s.end('a')).listen(process.env.PORT0), 1000)"`;
    const hc = [{ protocol: 'HTTP', path: '/', gracePeriodSeconds: 30, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 3 }];
    const created = await send('POST', `${url}/v2/groups`, {
      id: '/itg',
      apps: [
        { id: 'a', cmd: server, cpus: 0.1, mem: 32, instances: 2, healthChecks: hc },
        { id: 'b', cmd: 'sleep 1000', cpus: 0.1, mem: 16, dependencies: ['a'] },
      ],
    });
    expect(created.status).toBe(201);
    const apps = async (): Promise<Map<string, AppInfo>> => {
      const body = await getJson<{ '*': AppInfo[] }>(`${url}/v2/apps/itg/*`);
      return new Map(body['*'].map((a) => [a.id, a]));
    };
    let samples = 0;
    let violation: string | undefined;
    await waitFor(async () => {
      const now = await apps();
      samples++;
      const a = now.get('/itg/a');
      const b = now.get('/itg/b');
      // Checked on every sample (waitFor swallows throws, so it is recorded): B has a task only once both of A's are healthy.
      if ((b?.tasks.length ?? 0) > 0 && a?.tasksHealthy !== 2) violation ??= `B has a task while A has ${a?.tasksHealthy ?? 0} healthy`;
      return b?.tasks.some((t) => t.state === 'TASK_RUNNING') === true;
    }, { timeoutMs: 30_000, intervalMs: 50, what: 'B running after A healthy' });
    expect(violation).toBeUndefined();
    expect(samples).toBeGreaterThan(3);
    await waitFor(async () => (await getJson<unknown[]>(`${url}/v2/deployments`)).length === 0, { timeoutMs: 15_000, what: 'group deployment finished' });
    const firstB = (await apps()).get('/itg/b') as AppInfo;

    // dryRun: the plan comes back, nothing is deployed.
    const dry = await send('PUT', `${url}/v2/groups/itg?dryRun=true`, { apps: [{ id: 'a' }, { id: 'b', cmd: 'sleep 2000' }] });
    expect(dry.status).toBe(200);
    expect(dry.json).toEqual({ steps: [{ actions: [{ action: 'RestartApplication', app: '/itg/b' }] }] });
    expect(await getJson<unknown[]>(`${url}/v2/deployments`)).toEqual([]);
    const afterDry = (await apps()).get('/itg/b') as AppInfo;
    expect(afterDry.cmd).toBe('sleep 1000');
    expect(afterDry.version).toBe(firstB.version);
    expect(afterDry.tasks.map((t) => t.id)).toEqual(firstB.tasks.map((t) => t.id));

    // A real update restarts B with the new command.
    const upd = await send('PUT', `${url}/v2/groups/itg`, { apps: [{ id: 'a' }, { id: 'b', cmd: 'sleep 2000' }] });
    expect(upd.status).toBe(200);
    await waitFor(async () => {
      const b = (await apps()).get('/itg/b');
      return b?.cmd === 'sleep 2000' && b.tasks.length === 1 && b.tasks[0]?.state === 'TASK_RUNNING' && b.tasks[0].version === b.version;
    }, { timeoutMs: 20_000, what: 'B restarted with sleep 2000' });
    await waitFor(async () => (await getJson<unknown[]>(`${url}/v2/deployments`)).length === 0, { timeoutMs: 15_000, what: 'update finished' });

    // Rollback of the group to its first version.
    const versions = await getJson<string[]>(`${url}/v2/groups/itg/versions`);
    expect(versions.length).toBeGreaterThanOrEqual(2);
    const first = versions.at(-1) ?? '';
    const back = await send('PUT', `${url}/v2/groups/itg`, { version: first });
    expect(back.status).toBe(200);
    expect(typeof back.headers['marathon-deployment-id']).toBe('string');
    await waitFor(async () => {
      const b = (await apps()).get('/itg/b');
      return b?.cmd === 'sleep 1000' && b.tasks.length === 1 && b.tasks[0]?.state === 'TASK_RUNNING' && b.tasks[0].version === b.version ? b : undefined;
    }, { timeoutMs: 20_000, what: 'B back on its first command' });
    await waitFor(async () => (await getJson<unknown[]>(`${url}/v2/deployments`)).length === 0, { timeoutMs: 15_000, what: 'rollback finished' });
    const a = (await apps()).get('/itg/a') as AppInfo;
    expect(a.tasksHealthy).toBe(2);
  }, 60_000);
});
