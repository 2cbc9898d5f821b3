// Issue 8 (jobs, /v2): a real master + agent + `agora jobs` serving the Metronome-style API. A manual run
// succeeds and lands in the history; an ON_FAILURE job fails once (exit 3) and succeeds on its relaunch; a
// FORBID job refuses a second manual run while the first is active, and stopping the run ends it.
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { freePort, spawnAgora, startCluster, tempDir, waitFor, type Daemon } from '../helpers/index.js';

useCleanup();

async function startJobs(master: Daemon): Promise<string> {
  const workDir = tempDir('agora-jobs-v2-');
  const port = await freePort();
  const p = spawnAgora(`jobs-${port}`, ['jobs', '--ip', '127.0.0.1', '--port', String(port), '--master', master.hostPort, '--work_dir', workDir], workDir);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (p.exitCode() !== undefined) throw new Error(`jobs exited: ${p.log()}`);
      return (await (await fetch(`${url}/ping`)).text()) === 'pong';
    },
    { timeoutMs: 20_000, what: 'agora jobs /ping' },
  );
  return url;
}

type Json = Record<string, unknown>;

async function send(method: string, url: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const r = await fetch(url, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  const text = await r.text();
  return { status: r.status, json: (text === '' ? {} : JSON.parse(text)) as Json };
}

async function runReaches(url: string, job: string, runId: string, status: string): Promise<Json> {
  return waitFor(
    async () => {
      const r = await send('GET', `${url}/v2/jobs/${job}/runs/${runId}`);
      return r.json.status === status ? r.json : undefined;
    },
    { timeoutMs: 15_000, what: `run ${job}/${runId} to be ${status}` },
  );
}

describe('agora jobs /v2 on a real cluster', () => {
  it('manual runs, ON_FAILURE restart, FORBID and history', async () => {
    const { master } = await startCluster();
    const url = await startJobs(master);
    const small = { cpus: 0.1, mem: 32 };

    expect((await send('POST', `${url}/v2/jobs`, { id: 'ok', run: { cmd: 'true', ...small } })).status).toBe(201);
    // The attempt number is in the task's environment: the first attempt exits 3, the relaunch succeeds.
    expect((await send('POST', `${url}/v2/jobs`, { id: 'flaky', run: { cmd: 'test "$CHRONOS_JOB_RUN_ATTEMPT" -ge 1 || exit 3', ...small, restart: { policy: 'ON_FAILURE', activeDeadlineSeconds: 60 } } })).status).toBe(201);
    const solo = { id: 'solo', run: { cmd: 'sleep 30', ...small }, schedules: [{ id: 'yearly', cron: '0 0 1 1 *', concurrencyPolicy: 'FORBID' }] };
    expect((await send('POST', `${url}/v2/jobs`, solo)).status).toBe(201);
    expect((await send('POST', `${url}/v2/jobs/nope/runs`)).status).toBe(404);
    expect((await send('POST', `${url}/v2/jobs`, { id: 'Bad', run: {} })).status).toBe(422);

    const ok = await send('POST', `${url}/v2/jobs/ok/runs`);
    expect(ok.status).toBe(201);
    const flaky = await send('POST', `${url}/v2/jobs/flaky/runs`);
    const soloRun = await send('POST', `${url}/v2/jobs/solo/runs`);
    expect(soloRun.status).toBe(201);

    await runReaches(url, 'ok', String(ok.json.id), 'SUCCESS');
    // The relaunch comes after a 1 s backoff.
    const done = await runReaches(url, 'flaky', String(flaky.json.id), 'SUCCESS');
    const tasks = done.tasks as Array<{ status: string; exitCode?: number }>;
    expect(tasks.map((t) => [t.status, t.exitCode])).toEqual([
      ['TASK_FAILED', 3],
      ['TASK_FINISHED', 0],
    ]);

    await runReaches(url, 'solo', String(soloRun.json.id), 'ACTIVE');
    const second = await send('POST', `${url}/v2/jobs/solo/runs`);
    expect(second.status).toBe(409);
    expect(String(second.json.message)).toContain('FORBID');
    expect((await send('DELETE', `${url}/v2/jobs/solo`)).status).toBe(409);
    expect((await send('POST', `${url}/v2/jobs/solo/runs/${String(soloRun.json.id)}/actions/stop`)).status).toBe(200);
    await runReaches(url, 'solo', String(soloRun.json.id), 'FAILED');

    const hist = (await send('GET', `${url}/v2/jobs/ok?embed=history&embed=historySummary`)).json;
    expect(hist.historySummary).toMatchObject({ successCount: 1, failureCount: 0 });
    expect((hist.history as { successfulFinishedRuns: Array<{ id: string }> }).successfulFinishedRuns.map((r) => r.id)).toEqual([ok.json.id]);
    const soloHist = (await send('GET', `${url}/v2/jobs/solo?embed=history&embed=schedules`)).json;
    expect((soloHist.history as { failedFinishedRuns: unknown[] }).failedFinishedRuns).toHaveLength(1);
    expect(soloHist.schedules).toMatchObject([{ id: 'yearly', nextRunAt: expect.stringMatching(/-01-01T00:00:00.000Z$/) as unknown }]);
    expect((await send('DELETE', `${url}/v2/jobs/solo`)).status).toBe(200);
  }, 30_000);
});
