/**
 * `agora jobs --zk`: two real jobs processes on one ZooKeeper server, a real master and agent. One leads;
 * the standby proxies (`/leader` names the leader on both). A repeating job keeps running across a kill -9
 * of the leader taken while one of its runs is in flight, and no occurrence is ever launched twice: every
 * task of the job on the master has its own occurrence (`ct:<due>:<attempt>:…`), attempt 0.
 */
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { freePort, getJson, rawRequest, spawnAgora, startCluster, tempDir, waitFor, type Spawned } from '../helpers/index.js';
import { useZooKeeper } from '../helpers/use-zookeeper.js';

useCleanup({ perTest: false });

const zk = useZooKeeper();

interface Node {
  readonly url: string;
  readonly hostPort: string;
  readonly proc: Spawned;
}

async function startHaJobs(masterHostPort: string, zkUrl: string): Promise<Node> {
  const workDir = tempDir('agora-jobs-ha-');
  const port = await freePort();
  const proc = spawnAgora(`jobs-ha-${port}`, [
    'jobs', '--ip', '127.0.0.1', '--port', String(port), '--master', masterHostPort, '--zk', zkUrl, '--zk_session_timeout', '2secs', '--failure_retry', '1secs',
  ], workDir);
  return { url: `http://127.0.0.1:${port}`, hostPort: `127.0.0.1:${port}`, proc };
}

async function leaderOf(n: Node): Promise<string | undefined> {
  try {
    const res = await rawRequest(`${n.url}/v1/scheduler/leader`, { timeoutMs: 5000 });
    return res.status === 200 ? (JSON.parse(res.body) as { leader: string }).leader : undefined;
  } catch {
    return undefined;
  }
}

interface MasterTask {
  id: string;
  name: string;
  state: string;
}

async function jobTasks(masterUrl: string): Promise<MasterTask[]> {
  return (await getJson<{ tasks: MasterTask[] }>(`${masterUrl}/master/tasks`)).tasks.filter((t) => t.name === 'ChronosTask:tick');
}

describe('agora jobs --zk', () => {
  it('keeps a repeating job running across kill -9 of the leader, never launching an occurrence twice', async () => {
    const { master } = await startCluster();
    const zkUrl = zk.url('jobs-ha');
    const a = await startHaJobs(master.hostPort, zkUrl);
    const b = await startHaJobs(master.hostPort, zkUrl);
    const elected = await waitFor(async () => {
      const [la, lb] = [await leaderOf(a), await leaderOf(b)];
      return la !== undefined && la === lb ? la : undefined;
    }, { timeoutMs: 30_000, what: 'both jobs nodes agree on a leader' });
    const [leader, standby] = elected === a.hostPort ? [a, b] : [b, a];

    // Written through the standby: proxied to the leader.
    const start = new Date(Date.now() + 500).toISOString();
    const put = await rawRequest(`${standby.url}/scheduler/iso8601`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'tick', command: 'sleep 1', schedule: `R/${start}/PT2S`, cpus: 0.1, mem: 32 }),
    });
    expect(put.status).toBe(204);

    await waitFor(async () => (await jobTasks(master.url)).some((t) => t.state === 'TASK_RUNNING'), { timeoutMs: 20_000, what: 'a run of tick in flight' });
    const beforeKill = (await jobTasks(master.url)).length;
    await leader.proc.kill('SIGKILL');
    await waitFor(async () => (await leaderOf(standby)) === standby.hostPort, { timeoutMs: 30_000, what: 'the standby takes over' });

    // The job goes on under the new leader: at least three more occurrences finish.
    const tasks = await waitFor(async () => {
      const t = await jobTasks(master.url);
      return t.filter((x) => x.state === 'TASK_FINISHED').length >= beforeKill + 3 ? t : undefined;
    }, { timeoutMs: 30_000, what: 'three more runs of tick after the failover' });
    const occurrences = tasks.map((t) => {
      const m = /^ct:(\d+):(\d+):tick:/.exec(t.id);
      expect(m, t.id).not.toBeNull();
      return { due: m?.[1] ?? '', attempt: m?.[2] ?? '' };
    });
    expect(new Set(occurrences.map((o) => o.due)).size).toBe(tasks.length);
    expect(occurrences.every((o) => o.attempt === '0')).toBe(true);
    expect(tasks.every((t) => t.state === 'TASK_FINISHED' || t.state === 'TASK_RUNNING' || t.state === 'TASK_STAGING' || t.state === 'TASK_STARTING')).toBe(true);
    // The job's own view, read through the new leader, counts those successes.
    const job = await getJson<{ successCount: number }>(`${standby.url}/scheduler/job/tick`);
    expect(job.successCount).toBeGreaterThanOrEqual(beforeKill + 2);
  }, 60_000);
});
