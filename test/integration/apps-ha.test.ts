/**
 * `agora apps --zk`: two real apps processes on one ZooKeeper server, a real master (itself found through
 * ZooKeeper: `--master zk://`) and agent. One is
 * elected; the standby proxies (POST → 201 from the leader, `/v2/events` streamed to an `eventsource`
 * client, a request carrying the standby in `X-Marathon-Via` → 502); kill -9 the leader: the standby leads,
 * reconciles, keeps the same 3 tasks (nothing killed) and scales to 4.
 */
import { EventSource } from 'eventsource';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { freePort, getJson, isHealthy, rawRequest, spawnAgora, startCluster, tempDir, waitFor, type Spawned } from '../helpers/index.js';
import { useZooKeeper } from '../helpers/use-zookeeper.js';

useCleanup({ perTest: false });

const zk = useZooKeeper();

interface Node {
  readonly url: string;
  readonly hostPort: string;
  readonly proc: Spawned;
}

async function startHaApps(masterUrl: string, zkUrl: string): Promise<Node> {
  const workDir = tempDir('agora-apps-ha-');
  const port = await freePort();
  const proc = spawnAgora(`apps-ha-${port}`, [
    'apps', '--port', String(port), '--master', masterUrl, '--zk', zkUrl, '--zk_session_timeout', '2secs', '--hostname', '127.0.0.1',
    '--tick_interval', '200ms', '--min_revive_offers_interval', '200ms', '--decline_offer_duration', '1secs',
  ], workDir);
  return { url: `http://127.0.0.1:${port}`, hostPort: `127.0.0.1:${port}`, proc };
}

async function leaderOf(n: Node): Promise<string | undefined> {
  try {
    const res = await rawRequest(`${n.url}/v2/leader`, { timeoutMs: 5000 });
    return res.status === 200 ? (JSON.parse(res.body) as { leader: string }).leader : undefined;
  } catch {
    return undefined;
  }
}

async function send(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const res = await rawRequest(url, { method, headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: res.body, headers: res.headers };
}

interface TaskJson {
  id: string;
  state: string;
}

async function waitRunning(url: string, id: string, n: number): Promise<string[]> {
  return waitFor(async () => {
    const res = await rawRequest(`${url}/v2/apps${id}/tasks`, { headers: { Accept: 'application/json' } }).catch(() => undefined);
    if (res?.status !== 200) return undefined;
    const tasks = (JSON.parse(res.body) as { tasks: TaskJson[] }).tasks;
    return tasks.length === n && tasks.every((t) => t.state === 'TASK_RUNNING') ? tasks.map((t) => t.id).sort() : undefined;
  }, { timeoutMs: 30_000, what: `${n} running tasks of ${id}` });
}

async function deploymentsDone(url: string): Promise<void> {
  await waitFor(async () => (await getJson<unknown[]>(`${url}/v2/deployments`)).length === 0, { timeoutMs: 20_000, what: 'deployments finished' });
}

describe('agora apps --zk', () => {
  it('elects one leader, proxies from the standby (SSE too), and fails over on kill -9 without killing tasks', async () => {
    // The master is found through ZooKeeper too (`--master zk://`, followed by the scheduler SDK).
    const { master } = await startCluster({ masterFlags: { zk: zk.url('mesos'), zk_session_timeout: '4secs' } });
    const zkUrl = zk.url('apps-ha');
    const a = await startHaApps(zk.url('mesos'), zkUrl);
    const b = await startHaApps(zk.url('mesos'), zkUrl);
    await waitFor(async () => (await isHealthy(a.url)) && (await isHealthy(b.url)), { timeoutMs: 30_000, what: 'both apps nodes healthy' });
    const elected = await waitFor(async () => {
      const [la, lb] = [await leaderOf(a), await leaderOf(b)];
      return la !== undefined && la === lb ? la : undefined;
    }, { timeoutMs: 20_000, what: 'both nodes agree on a leader' });
    const [leader, standby] = elected === a.hostPort ? [a, b] : [b, a];
    expect(elected).toBe(leader.hostPort);
    const info = await getJson<{ leader: string; marathon_config: { ha: boolean }; zookeeper_config: Record<string, unknown>; http_config: { http_port: number } }>(`${standby.url}/v2/info`);
    expect(info.leader).toBe(leader.hostPort);
    // HA mode is described as such (spec §3.10), and leader and standby answer the same document.
    expect(info.marathon_config.ha).toBe(true);
    expect(info.zookeeper_config).toMatchObject({ zk: zkUrl, zk_session_timeout: 2000 });
    expect(info.http_config.http_port).toBe(Number(leader.hostPort.split(':')[1]));
    expect(await getJson(`${leader.url}/v2/info`)).toEqual(info);

    // The standby's event stream is the leader's, followed by the `eventsource` package.
    const seen: string[] = [];
    const es = new EventSource(`${standby.url}/v2/events`);
    es.addEventListener('api_post_event', (e) => seen.push(`api_post:${(JSON.parse(String(e.data)) as { appDefinition?: { id?: string } }).appDefinition?.id ?? ''}`));
    es.addEventListener('deployment_info', () => seen.push('deployment_info'));
    await waitFor(() => es.readyState === EventSource.OPEN, { timeoutMs: 10_000, what: 'event stream open through the standby' });

    const id = '/ha/sleeper';
    const created = await send('POST', `${standby.url}/v2/apps`, { id, cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 3 });
    expect(created.status).toBe(201);
    expect(created.headers['x-marathon-leader']).toBe(leader.url);
    const before = await waitRunning(standby.url, id, 3);
    await waitFor(() => seen.includes(`api_post:${id}`) && seen.includes('deployment_info'), { timeoutMs: 10_000, what: 'events through the standby' });
    es.close();
    await deploymentsDone(standby.url);

    const loop = await send('GET', `${standby.url}/v2/apps`, undefined, { 'X-Marathon-Via': standby.hostPort });
    expect(loop.status).toBe(502);
    expect(loop.body).toBe('Detected proxying loop.');

    await leader.proc.kill('SIGKILL');
    await waitFor(async () => (await leaderOf(standby)) === standby.hostPort, { timeoutMs: 30_000, what: 'the standby takes over' });
    // The new leader reconciled the stored instances: the same three tasks, still running.
    expect(await waitRunning(standby.url, id, 3)).toEqual(before);
    await deploymentsDone(standby.url);

    const scaled = await send('PUT', `${standby.url}/v2/apps${id}`, { instances: 4 });
    expect(scaled.status).toBe(200);
    const after = await waitRunning(standby.url, id, 4);
    expect(after.filter((t) => before.includes(t))).toEqual(before);
    const onMaster = await getJson<{ tasks: { id: string; state: string }[] }>(`${master.url}/master/tasks`);
    expect(onMaster.tasks.map((t) => t.id).sort()).toEqual(after);
    expect(onMaster.tasks.every((t) => t.state === 'TASK_RUNNING')).toBe(true);
  }, 60_000);
});
