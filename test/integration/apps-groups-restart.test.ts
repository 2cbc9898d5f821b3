/**
 * A kill -9 of `agora apps` in the middle of a group plan (ADR 0044), on a real master and agent: B waits for
 * A's health check when the process dies; the restarted process loads the plan at its step, starts B once A
 * is healthy, finishes the deployment and kills nothing (A's task is the same one throughout).
 */
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { freePort, getJson, isHealthy, rawRequest, spawnAgora, startCluster, tempDir, waitFor } from '../helpers/index.js';

useCleanup();

interface AppInfo {
  id: string;
  tasksHealthy: number;
  tasks: { id: string; state: string }[];
}

async function send(method: string, url: string, body?: unknown): Promise<{ status: number }> {
  const res = await rawRequest(url, { method, headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status };
}

describe('agora apps group plans across a restart', () => {
  it('resumes an in-flight group plan after a kill -9 of agora apps, killing nothing healthy', async () => {
    const { master } = await startCluster();
    const workDir = tempDir('agora-apps-groups-k9-');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const start = async () => {
      const p = spawnAgora(`apps-${port}`, [
        'apps', '--port', String(port), '--master', master.hostPort, '--work_dir', workDir, '--hostname', '127.0.0.1',
        '--tick_interval', '200ms', '--min_revive_offers_interval', '200ms', '--decline_offer_duration', '1secs',
      ], workDir);
      await waitFor(async () => {
        if (p.exitCode() !== undefined) throw new Error(`apps exited: ${p.log()}`);
        return isHealthy(url);
      }, { timeoutMs: 30_000, what: 'agora apps /health' });
      return p;
    };
    const first = await start();
    // A becomes healthy only after 6 s, so the kill and restart land while B is still waiting for it.
    const slow = `${process.execPath} -e "setTimeout(() => require('http').createServer((q, s) => s.end('a')).listen(process.env.PORT0), 6000)"`;
    const hc = [{ protocol: 'HTTP', path: '/', gracePeriodSeconds: 30, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 3 }];
    expect((await send('POST', `${url}/v2/groups`, {
      id: '/k9',
      apps: [
        { id: 'a', cmd: slow, cpus: 0.1, mem: 32, healthChecks: hc },
        { id: 'b', cmd: 'sleep 1000', cpus: 0.1, mem: 16, dependencies: ['a'] },
      ],
    })).status).toBe(201);
    const appsNow = async () => new Map((await getJson<{ '*': AppInfo[] }>(`${url}/v2/apps/k9/*`))['*'].map((a) => [a.id, a]));
    const aTask = await waitFor(async () => (await appsNow()).get('/k9/a')?.tasks.find((t) => t.state === 'TASK_RUNNING'), { timeoutMs: 20_000, what: 'A running' });
    const before = (await appsNow()).get('/k9/b');
    expect(before?.tasks).toEqual([]);
    await first.kill('SIGKILL');
    await start();
    const deps = await getJson<{ currentStep: number; totalSteps: number }[]>(`${url}/v2/deployments`);
    expect(deps).toHaveLength(1);
    expect(deps[0]?.currentStep).toBe(2);
    await waitFor(async () => {
      const now = await appsNow();
      return now.get('/k9/b')?.tasks.some((t) => t.state === 'TASK_RUNNING') === true && now.get('/k9/a')?.tasksHealthy === 1;
    }, { timeoutMs: 30_000, what: 'B running after the restart' });
    await waitFor(async () => (await getJson<unknown[]>(`${url}/v2/deployments`)).length === 0, { timeoutMs: 15_000, what: 'plan finished' });
    // A's task survived: nothing healthy was killed.
    expect((await appsNow()).get('/k9/a')?.tasks.map((t) => t.id)).toEqual([aTask.id]);
  }, 60_000);
});
