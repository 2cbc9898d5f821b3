import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { MemoryStore } from '../../../src/coordination/index.js';
import { createHttpServer } from '../../../src/transport/http-server.js';
import { JobEngine } from '../../../src/jobs/engine/job-engine.js';
import { registerJobsRoutes } from '../../../src/jobs/http/routes.js';
import { registerV2Routes } from '../../../src/jobs/v2/routes.js';
import { DEFAULT_JOB_DEFAULTS } from '../../../src/jobs/api/job-schema.js';
import { FakeDriver, offer, status } from './fake-driver.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

type Res = { status: number; json: () => Record<string, unknown> & unknown[] };

async function api(): Promise<{ req: (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => Promise<Res>; engine: JobEngine; driver: FakeDriver; clock: FakeClock }> {
  const clock = new FakeClock(T0);
  const engine = new JobEngine({ store: new MemoryStore(), clock, logger: silentLogger(), failureRetryMs: 1000 });
  await engine.load();
  const driver = new FakeDriver();
  engine.attach(driver);
  await engine.onSubscribed('fw');
  const app = createHttpServer();
  registerJobsRoutes(app, { engine, defaults: DEFAULT_JOB_DEFAULTS, now: () => clock.now(), leader: () => 'jobs:4400', historyLimit: 5 });
  registerV2Routes(app, engine, 'root');
  stops.push(async () => {
    await engine.stop();
    await app.close();
  });
  const req = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown): Promise<Res> => {
    const r = await app.inject({ method, url, ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
    return { status: r.statusCode, json: () => JSON.parse(r.body) as Record<string, unknown> & unknown[] };
  };
  return { req, engine, driver, clock };
}

describe('/v2 API routes', () => {
  it('creates a job with Metronome defaults, 409 on a duplicate id, 404 on an unknown one', async () => {
    const { req } = await api();
    const created = await req('POST', '/v2/jobs', { id: 'prod.backup', description: 'nightly', run: { cmd: 'echo hi', env: { A: '1' } } });
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({ id: 'prod.backup', run: { cmd: 'echo hi', cpus: 1, mem: 128, disk: 0, maxLaunchDelay: 3600, restart: { policy: 'NEVER' }, env: { A: '1' } } });
    expect((await req('POST', '/v2/jobs', { id: 'prod.backup', run: { cmd: 'x' } })).status).toBe(409);
    const missing = await req('GET', '/v2/jobs/nope');
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({ message: "Job 'nope' does not exist" });
    expect((await req('GET', '/v2/jobs')).json()).toHaveLength(1);
  });

  it('answers 422 with every problem and its path; nothing is stored', async () => {
    const { req } = await api();
    const bad = await req('POST', '/v2/jobs', { id: 'Bad_Id', run: { cmd: 'x', mem: 8, cpus: 'a', restart: { policy: 'SOMETIMES' } }, schedules: [{ id: 's', cron: '0 0 31 2 *', timezone: 'Mars/Base', startingDeadlineSeconds: 5 }] });
    expect(bad.status).toBe(422);
    const body = bad.json() as unknown as { message: string; details: Array<{ path: string; errors: string[] }> };
    expect(body.message).toBe('Object is not valid');
    expect(body.details.map((d) => d.path).sort()).toEqual(['/id', '/run/cpus', '/run/mem', '/run/restart/policy', '/schedules(0)/cron', '/schedules(0)/startingDeadlineSeconds', '/schedules(0)/timezone'].sort());
    expect((await req('POST', '/v2/jobs', '{not json')).status).toBe(400);
    expect((await req('POST', '/v2/jobs', { id: 'x' })).status).toBe(422);
    const docker = await req('POST', '/v2/jobs', { id: 'x', run: { cmd: 'x', docker: { image: 'busybox' }, artifacts: [], placement: { constraints: [] } } });
    expect(docker.status).toBe(422);
    expect((docker.json() as unknown as { details: Array<{ path: string }> }).details.map((d) => d.path)).toEqual(['/run/docker']);
    expect((await req('GET', '/v2/jobs')).json()).toEqual([]);
  });

  it('manages the schedule sub-resource and embeds schedules, active runs and history', async () => {
    const { req, engine, driver } = await api();
    await req('POST', '/v2/jobs', { id: 'rep', run: { cmd: 'true' } });
    const s = await req('POST', '/v2/jobs/rep/schedules', { id: 'daily', cron: '30 2 * * *', timezone: 'Europe/Berlin' });
    expect(s.status).toBe(201);
    expect(s.json()).toMatchObject({ id: 'daily', concurrencyPolicy: 'ALLOW', startingDeadlineSeconds: 900, enabled: true, catchUp: 'SKIP', nextRunAt: '2030-01-01T01:30:00.000Z' });
    expect((await req('POST', '/v2/jobs/rep/schedules', { id: 'daily', cron: '* * * * *' })).status).toBe(409);
    expect((await req('POST', '/v2/jobs/rep/schedules', { id: 'other', cron: '* * * * *' })).status).toBe(409);
    expect((await req('PUT', '/v2/jobs/rep/schedules/daily', { cron: '0 3 * * *', concurrencyPolicy: 'FORBID' })).json()).toMatchObject({ id: 'daily', cron: '0 3 * * *', concurrencyPolicy: 'FORBID' });
    expect((await req('PUT', '/v2/jobs/rep/schedules/none', { cron: '0 3 * * *' })).status).toBe(404);
    // PUT of the job keeps its schedules.
    expect((await req('PUT', '/v2/jobs/rep', { id: 'rep', run: { cmd: 'echo 2' } })).status).toBe(200);
    expect((await req('GET', '/v2/jobs/rep/schedules')).json()).toHaveLength(1);

    const run = await req('POST', '/v2/jobs/rep/runs');
    expect(run.status).toBe(201);
    expect(run.json()).toMatchObject({ jobId: 'rep', status: 'INITIAL', trigger: 'manual' });
    expect((await req('POST', '/v2/jobs/rep/runs')).status).toBe(409); // FORBID while active
    await engine.onOffers([offer()]);
    const taskId = driver.launched[0]?.task_id.value ?? '';
    await engine.onUpdate(status(taskId, 'TASK_RUNNING'));
    const got = (await req('GET', '/v2/jobs/rep?embed=activeRuns&embed=schedules,historySummary')).json();
    expect(got.activeRuns).toMatchObject([{ status: 'ACTIVE', tasks: [{ id: taskId, status: 'TASK_RUNNING' }] }]);
    expect(got.schedules).toHaveLength(1);
    expect(got.historySummary).toEqual({ successCount: 0, failureCount: 0, lastSuccessAt: null, lastFailureAt: null });
    expect((await req('DELETE', '/v2/jobs/rep')).status).toBe(409);

    const runId = (run.json() as unknown as { id: string }).id;
    expect((await req('POST', `/v2/jobs/rep/runs/${runId}/actions/stop`)).status).toBe(200);
    expect(driver.killed).toEqual([taskId]);
    await engine.onUpdate(status(taskId, 'TASK_KILLED'));
    const hist = (await req('GET', '/v2/jobs/rep?embed=history')).json().history as { failedFinishedRuns: Array<{ id: string }> };
    expect(hist.failedFinishedRuns.map((r) => r.id)).toEqual([runId]);
    expect((await req('GET', '/v2/jobs/rep/runs')).json()).toEqual([]);
    expect((await req('GET', '/v2/jobs/rep/runs?all=true')).json()).toHaveLength(1);
    expect((await req('GET', `/v2/jobs/rep/runs/${runId}`)).json()).toMatchObject({ id: runId, status: 'FAILED' });
    expect((await req('POST', `/v2/jobs/rep/runs/${runId}/actions/stop`)).status).toBe(404);
    expect((await req('DELETE', '/v2/jobs/rep/schedules/daily')).status).toBe(200);
    expect((await req('DELETE', '/v2/jobs/rep')).json()).toMatchObject({ id: 'rep' });
    expect((await req('GET', '/v2/jobs/rep')).status).toBe(404);
  });

  it('DELETE with stopCurrentJobRuns=true stops active runs; Chronos jobs are not /v2 jobs', async () => {
    const { req, driver, engine } = await api();
    await req('POST', '/v2/jobs', { id: 'busy', run: { args: ['sleep', '100'] } });
    await req('POST', '/v2/jobs/busy/runs');
    await engine.onOffers([offer()]);
    expect(driver.launched[0]?.command).toMatchObject({ shell: false, value: 'sleep', arguments: ['sleep', '100'] });
    expect((await req('DELETE', '/v2/jobs/busy?stopCurrentJobRuns=true')).status).toBe(200);
    expect(driver.killed).toHaveLength(1);
    expect((await req('POST', '/scheduler/iso8601', { name: 'legacy', command: 'true', schedule: 'R1//PT1H' })).status).toBe(204);
    expect((await req('GET', '/v2/jobs/legacy')).status).toBe(404);
    expect((await req('POST', '/v2/jobs', { id: 'legacy', run: { cmd: 'x' } })).status).toBe(409);
  });
});
