// Issue 8 (jobs): a real master + agent + `agora jobs`. A repeating job with a short period runs at least
// twice with its successCount advancing, a dependent child runs after its parent succeeds, and the write-time
// validation answers upstream's statuses.
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { freePort, getJson, runAgora, spawnAgora, startCluster, tempDir, waitFor, type Daemon, type Spawned } from '../helpers/index.js';

useCleanup();

interface JobView {
  name: string;
  schedule?: string;
  successCount: number;
  errorCount: number;
  lastSuccess: string;
  parents?: string[];
}

async function startJobs(master: Daemon, workDir = tempDir('agora-jobs-')): Promise<{ url: string; proc: Spawned }> {
  const port = await freePort();
  const p = spawnAgora(`jobs-${port}`, ['jobs', '--ip', '127.0.0.1', '--port', String(port), '--master', master.hostPort, '--work_dir', workDir, '--failure_retry', '1secs'], workDir);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (p.exitCode() !== undefined) throw new Error(`jobs exited: ${p.log()}`);
      const r = await fetch(`${url}/ping`);
      return (await r.text()) === 'pong';
    },
    { timeoutMs: 30_000, what: 'agora jobs /ping' },
  );
  return { url, proc: p };
}

async function send(method: string, url: string, body?: unknown): Promise<{ status: number; text: string }> {
  const r = await fetch(url, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  return { status: r.status, text: await r.text() };
}

async function job(url: string, name: string): Promise<JobView> {
  const r = await send('GET', `${url}/v1/scheduler/job/${name}`);
  if (r.status !== 200) throw new Error(`GET job ${name}: ${r.status} ${r.text}`);
  return JSON.parse(r.text) as JobView;
}

describe('agora jobs on a real cluster', () => {
  it('runs a repeating job repeatedly and a dependent child after its parent', async () => {
    const { master } = await startCluster();
    const { url } = await startJobs(master);
    const start = new Date(Date.now() + 500).toISOString();

    expect((await send('POST', `${url}/scheduler/iso8601`, { name: 'tick', command: 'true', schedule: `R/${start}/PT2S`, cpus: '0.1', mem: 32 })).status).toBe(204);
    // Write-time validation: unknown parent and self-parent are 400, nothing stored.
    const unknown = await send('POST', `${url}/scheduler/dependency`, { name: 'orphan', command: 'true', parents: ['nope'] });
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.text)).toMatchObject({ status: 'Bad Request' });
    expect((await send('POST', `${url}/scheduler/dependency`, { name: 'selfish', command: 'true', parents: ['selfish'] })).status).toBe(400);
    expect((await send('PUT', `${url}/scheduler/iso8601`, { name: 'bad', command: 'true', schedule: 'R/2020-01-01T00:00:00Z/PT0S' })).status).toBe(400);
    expect((await send('GET', `${url}/scheduler/job/orphan`)).status).toBe(400);

    expect((await send('POST', `${url}/scheduler/dependency`, { name: 'child', command: 'true', parents: ['tick'], mem: 32 })).status).toBe(204);
    // Placement constraints are matched against the agent's offers; a malformed one is 400, nothing stored.
    expect((await send('POST', `${url}/scheduler/iso8601`, { name: 'near', command: 'true', schedule: `R1/${start}/PT1H`, constraints: [['hostname', 'LIKE']] })).status).toBe(400);
    expect((await send('GET', `${url}/scheduler/job/near`)).status).toBe(400);
    for (const [name, op] of [['anywhere', 'UNLIKE'], ['nowhere', 'LIKE']] as const) {
      expect((await send('POST', `${url}/scheduler/iso8601`, { name, command: 'true', schedule: `R1/${start}/PT1H`, mem: 32, constraints: [['hostname', op, 'no-such-host']] })).status).toBe(204);
    }

    const tick = await waitFor(async () => {
      const j = await job(url, 'tick');
      return j.successCount >= 2 ? j : undefined;
    }, { timeoutMs: 20_000, what: 'tick to succeed twice' });
    expect(tick.schedule).toMatch(/^R\/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\/PT2S$/);

    const child = await waitFor(async () => {
      const j = await job(url, 'child');
      return j.successCount >= 1 ? j : undefined;
    }, { timeoutMs: 15_000, what: 'child to succeed after its parent' });
    expect(Date.parse(child.lastSuccess)).toBeGreaterThan(Date.parse(start));
    expect(child.parents).toEqual(['tick']);
    await waitFor(async () => (await job(url, 'anywhere')).successCount === 1, { timeoutMs: 15_000, what: 'the UNLIKE-constrained job to run' });
    expect((await job(url, 'nowhere')).successCount).toBe(0);
    for (const name of ['anywhere', 'nowhere']) expect((await send('DELETE', `${url}/scheduler/job/${name}`)).status).toBe(204);

    // Deleting a parent with children is refused unless a cascade is asked for.
    expect((await send('DELETE', `${url}/scheduler/job/tick`)).status).toBe(409);
    const list = JSON.parse((await send('GET', `${url}/scheduler/jobs`)).text) as JobView[];
    expect(list.map((j) => j.name).sort()).toEqual(['child', 'tick']);
    const csv = (await send('GET', `${url}/scheduler/graph/csv`)).text;
    expect(csv).toContain('link,tick,child\n');

    // The `agora job` CLI over the same API (independent reads in parallel to keep the file short).
    const cli = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => runAgora(['job', ...args, '--jobs', url], 20_000);
    const [listed, shown, history, graph, refused, unknownJob] = await Promise.all([
      cli('list'), cli('show', 'child'), cli('history', 'tick'), cli('graph'), cli('remove', 'tick'), cli('show', 'nope'),
    ]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^NAME\s+STATE\s+LAST/);
    expect(listed.stdout).toMatch(/^child\s+\S+\s+success\s+after tick$/m);
    expect(shown.stdout).toMatch(/^parents: +tick$/m);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout.match(/^SUCCESS\s+scheduled\s/gm)?.length ?? 0).toBeGreaterThanOrEqual(2);
    expect(graph.stdout).toMatch(/^digraph G \{/);
    expect(graph.stdout).toContain('label="child"');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error: .*\(HTTP 409\)/);
    expect(unknownJob.code).toBe(1);
    expect(unknownJob.stderr).toMatch(/\(HTTP 400\)/);

    expect((await send('DELETE', `${url}/scheduler/job/tick?cascade=convert`)).status).toBe(204);
    expect((await job(url, 'child')).schedule).toMatch(/PT2S$/);
  }, 60_000);

  it('kill -9 while a run is running, restart: exactly one task for that occurrence, and it is counted once', async () => {
    const { master } = await startCluster();
    const workDir = tempDir('agora-jobs-');
    const first = await startJobs(master, workDir);
    const start = new Date(Date.now() + 300).toISOString();
    expect((await send('POST', `${first.url}/v1/scheduler/iso8601`, { name: 'long', command: 'sleep 3', schedule: `R1/${start}/PT1H`, mem: 32 })).status).toBe(204);
    const tasks = async (): Promise<Array<{ id: string; name: string; state: string }>> =>
      (await getJson<{ tasks: Array<{ id: string; name: string; state: string }> }>(`${master.url}/master/tasks`)).tasks.filter((t) => t.name === 'ChronosTask:long');
    await waitFor(async () => (await tasks()).some((t) => t.state === 'TASK_RUNNING'), { timeoutMs: 15_000, what: 'the job task to run' });
    await first.proc.kill('SIGKILL');

    const second = await startJobs(master, workDir);
    const done = await waitFor(async () => {
      const j = await job(second.url, 'long');
      return j.successCount >= 1 ? j : undefined;
    }, { timeoutMs: 30_000, what: 'the run to be counted after the restart' });
    expect(done.successCount).toBe(1);
    expect(done.schedule).toMatch(/^R0\//);
    const all = await tasks();
    expect(all.map((t) => t.state)).toEqual(['TASK_FINISHED']);
  }, 90_000);
});
