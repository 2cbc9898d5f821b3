import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { MemoryStore } from '../../../src/coordination/index.js';
import { createHttpServer } from '../../../src/transport/http-server.js';
import { JobEngine } from '../../../src/jobs/engine/job-engine.js';
import { registerJobsRoutes } from '../../../src/jobs/http/routes.js';
import { DEFAULT_JOB_DEFAULTS } from '../../../src/jobs/api/job-schema.js';
import { FakeDriver, offer, status } from './fake-driver.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function api(): Promise<{ req: (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => Promise<{ status: number; body: string; json: () => unknown; headers: Record<string, unknown> }>; engine: JobEngine; driver: FakeDriver; clock: FakeClock }> {
  const clock = new FakeClock(T0);
  const engine = new JobEngine({ store: new MemoryStore(), clock, logger: silentLogger(), failureRetryMs: 1000 });
  await engine.load();
  const driver = new FakeDriver();
  engine.attach(driver);
  await engine.onSubscribed('fw');
  const app = createHttpServer();
  registerJobsRoutes(app, { engine, defaults: DEFAULT_JOB_DEFAULTS, now: () => clock.now(), leader: () => 'jobs.example:4400', historyLimit: 5 });
  stops.push(async () => {
    await engine.stop();
    await app.close();
  });
  const req = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => {
    const r = await app.inject({ method, url, ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'text/plain' } } : {}) });
    return { status: r.statusCode, body: r.body, json: () => JSON.parse(r.body) as unknown, headers: r.headers };
  };
  return { req, engine, driver, clock };
}

describe('Chronos API routes', () => {
  it('creates, lists, gets, searches and summarises jobs under both prefixes', async () => {
    const { req } = await api();
    const created = await req('POST', '/scheduler/iso8601', { name: 'alpha', command: 'echo a', schedule: 'R5/2030-01-02T00:00:00Z/P1D' });
    expect(created.status).toBe(204);
    expect(created.body).toBe('');
    expect(created.headers['access-control-allow-origin']).toBe('*');
    expect((await req('PUT', '/v1/scheduler/iso8601', { name: 'beta', command: 'echo b', schedule: 'R//PT1H' })).status).toBe(204);
    expect((await req('POST', '/v1/scheduler/dependency', { name: 'gamma', command: 'echo g', parents: ['alpha'] })).status).toBe(204);
    const list = (await req('GET', '/v1/scheduler/jobs')).json() as Array<{ name: string }>;
    expect(list.map((j) => j.name).sort()).toEqual(['alpha', 'beta', 'gamma']);
    await req('POST', '/scheduler/iso8601', { name: 'u', command: 'x', uris: ['http://a/b.tgz'] });
    const listed = ((await req('GET', '/scheduler/jobs')).json() as Array<{ name: string; fetch: unknown[] }>).find((j) => j.name === 'u');
    expect(listed?.fetch).toEqual([{ uri: 'http://a/b.tgz', executable: false, cache: false, extract: true }]);
    expect((await req('GET', '/scheduler/job/u')).json()).toMatchObject({ fetch: [], uris: ['http://a/b.tgz'] });
    await req('DELETE', '/scheduler/job/u');
    const alpha = (await req('GET', '/scheduler/job/alpha')).json() as Record<string, unknown>;
    expect(Object.keys(alpha).slice(0, 6)).toEqual(['name', 'command', 'shell', 'executor', 'executorFlags', 'taskInfoData']);
    expect(alpha).toMatchObject({ schedule: 'R5/2030-01-02T00:00:00.000Z/P1D', scheduleTimeZone: '', cpus: 0.1, mem: 128, disk: 256, retries: 2 });
    expect((await req('GET', '/scheduler/jobs/search?any=echo%20g')).json()).toMatchObject([{ name: 'gamma' }]);
    expect((await req('GET', '/scheduler/jobs/search?name=a&limit=1&offset=1')).json()).toHaveLength(1);
    expect((await req('GET', '/v1/scheduler/jobs/summary')).json()).toMatchObject({ jobs: expect.arrayContaining([{ name: 'gamma', status: 'fresh', state: 'idle', schedule: '', parents: ['alpha'], disabled: false }]) as unknown });
    expect((await req('GET', '/v1/scheduler/leader')).json()).toEqual({ leader: 'jobs.example:4400' });
    expect((await req('GET', '/leader')).json()).toEqual({ leader: 'jobs.example:4400' });
  });

  it('answers 400 with the v3 error body for invalid input and unknown jobs, storing nothing', async () => {
    const { req } = await api();
    const cases: Array<[string, unknown]> = [
      ['/scheduler/iso8601', '{not json'],
      ['/scheduler/iso8601', { name: 'x', schedule: 'R/bogus/P1D' }],
      ['/scheduler/iso8601', { name: 'x', schedule: 'R//PT1H', scheduleTimeZone: 'Nowhere/City' }],
      ['/scheduler/dependency', { name: 'x', parents: ['missing'] }],
      ['/scheduler/dependency', { name: 'x', parents: ['x'] }],
      ['/scheduler/dependency', { name: 'x', parents: [] }],
    ];
    for (const [url, body] of cases) {
      const r = await req('POST', url, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json()).toMatchObject({ status: 'Bad Request', message: expect.any(String) as unknown });
    }
    expect((await req('GET', '/scheduler/jobs')).json()).toEqual([]);
    expect((await req('GET', '/scheduler/job/nope')).status).toBe(400);
    expect((await req('DELETE', '/scheduler/job/nope')).status).toBe(400);
    expect((await req('PUT', '/scheduler/job/nope')).status).toBe(400);
    expect((await req('DELETE', '/scheduler/task/kill/nope')).status).toBe(400);
    const ms = await req('PUT', '/scheduler/job/success/nope');
    expect([ms.status, ms.body]).toEqual([200, 'marked job nope as successful: false']);
  });

  it('refuses a cycle on update and a parent delete without cascade (409); cascades on request', async () => {
    const { req } = await api();
    await req('POST', '/scheduler/iso8601', { name: 'a', command: 'true', schedule: 'R//PT1H' });
    await req('POST', '/scheduler/dependency', { name: 'b', command: 'true', parents: ['a'] });
    await req('POST', '/scheduler/dependency', { name: 'c', command: 'true', parents: ['b'] });
    expect((await req('POST', '/scheduler/dependency', { name: 'b', command: 'true', parents: ['c'] })).status).toBe(400);
    const refused = await req('DELETE', '/scheduler/job/b');
    expect(refused.status).toBe(409);
    expect(refused.json()).toMatchObject({ status: 'Conflict' });
    expect((await req('GET', '/scheduler/graph/dot')).body).toBe('digraph G {\n  1 [ label="a" ];\n  2 [ label="b" ];\n  3 [ label="c" ];\n  1 -> 2;\n  2 -> 3;\n}\n');
    expect((await req('DELETE', '/scheduler/job/b?cascade=reparent')).status).toBe(204);
    expect(((await req('GET', '/scheduler/job/c')).json() as { parents: string[] }).parents).toEqual(['a']);
    expect((await req('DELETE', '/scheduler/job/a?cascade=bogus')).status).toBe(400);
    expect((await req('DELETE', '/scheduler/job/a?cascade=convert')).status).toBe(204);
    expect((await req('GET', '/scheduler/job/c')).json()).toMatchObject({ schedule: expect.stringMatching(/PT1H$/) as unknown });
  });

  it('manual start, kill, mark success and stats', async () => {
    const { req, engine, driver, clock } = await api();
    await req('POST', '/scheduler/iso8601', { name: 'm', command: 'echo', schedule: 'R//P1D', disk: 10 });
    await engine.onOffers([offer()]);
    expect(driver.launched).toHaveLength(1);
    await clock.advance(1000);
    expect((await req('PUT', '/scheduler/job/m?arguments=hello')).status).toBe(204);
    const taskId = driver.launched[0]?.task_id.value ?? '';
    expect(driver.launched[0]?.command).toMatchObject({ shell: true, value: 'echo' });
    await engine.onUpdate(status(taskId, 'TASK_RUNNING'));
    expect((await req('GET', '/scheduler/graph/csv')).body).toBe('node,m,fresh,running\n');
    expect((await req('DELETE', '/scheduler/task/kill/m')).status).toBe(204);
    expect(driver.killed).toEqual([taskId]);
    await engine.onUpdate(status(taskId, 'TASK_KILLED'));
    await engine.onOffers([offer()]);
    expect(driver.launched[1]?.command).toMatchObject({ value: 'echo hello' });
    await engine.onUpdate(status(driver.launched[1]?.task_id.value ?? '', 'TASK_FINISHED'));
    const ms = await req('PUT', '/v1/scheduler/job/success/m');
    expect(ms.body).toBe('marked job m as successful: true');
    const job = (await req('GET', '/scheduler/job/m')).json() as { successCount: number; errorCount: number };
    expect([job.successCount, job.errorCount]).toEqual([2, 0]);
    const stat = (await req('GET', '/scheduler/job/stat/m')).json() as { histogram: { count: number }; taskStatHistory: Array<{ status: string }> };
    expect(stat.histogram.count).toBe(1);
    expect(stat.taskStatHistory.map((t) => t.status)).toEqual(['Success', 'Fail']);
    expect((await req('GET', '/scheduler/stats/99thPercentile')).json()).toEqual([{ jobNameLabel: 'm', time: 0 }]);
    expect((await req('GET', '/scheduler/stats/nonsense')).json()).toEqual([]);
  });

  it('async jobs complete through the v2 callback, not the task exit', async () => {
    const { req, engine, driver } = await api();
    await req('POST', '/scheduler/iso8601', { name: 'as', command: 'true', schedule: 'R1//PT1H', async: 'true', retries: 0 });
    expect(((await req('GET', '/scheduler/job/as')).json() as { async: boolean }).async).toBe(true);
    await engine.onOffers([offer()]);
    const taskId = driver.launched[0]?.task_id.value ?? '';
    await engine.onUpdate(status(taskId, 'TASK_FINISHED'));
    expect(((await req('GET', '/scheduler/job/as')).json() as { successCount: number }).successCount).toBe(0);
    expect((await req('PUT', `/scheduler/task/${encodeURIComponent(taskId)}`, { statusCode: 0 })).status).toBe(204);
    expect(((await req('GET', '/scheduler/job/as')).json() as { successCount: number }).successCount).toBe(1);
    expect((await req('PUT', `/scheduler/task/${encodeURIComponent(taskId)}`, { statusCode: 0 })).status).toBe(400);
    expect((await req('PUT', '/scheduler/task/x', 'nope')).status).toBe(400);
  });

  it('accepts the Chronos documentation examples verbatim and they round-trip through GET', async () => {
    const { req } = await api();
    const examples: Array<[string, object]> = [
      ['/scheduler/iso8601', { schedule: 'R10/2012-10-01T05:52:00Z/PT2S', name: 'SAMPLE_JOB1', epsilon: 'PT15M', command: 'echo "some message"', owner: 'person@example.com', async: false }],
      ['/scheduler/dependency', { parents: ['SAMPLE_JOB1'], name: 'DEP_JOB', epsilon: 'PT30M', command: 'echo "dependent"', owner: 'person@example.com', async: false }],
      [
        '/scheduler/iso8601',
        {
          schedule: 'R/2014-09-25T17:22:00Z/PT2M',
          name: 'dockerjob',
          container: { type: 'DOCKER', image: 'libmesos/ubuntu', network: 'BRIDGE', volumes: [{ containerPath: '/var/log/', hostPath: '/logs/', mode: 'RW' }] },
          cpus: '0.5',
          mem: '512',
          fetch: [{ uri: 'https://mesos.apache.org/assets/img/mesos_logo.png', extract: false, executable: false, cache: false }],
          command: 'while sleep 10; do date =u %T; done',
        },
      ],
    ];
    for (const [url, body] of examples) expect((await req('POST', url, body)).status, url).toBe(204);
    for (const name of ['SAMPLE_JOB1', 'DEP_JOB', 'dockerjob']) {
      const got = (await req('GET', `/scheduler/job/${name}`)).json() as Record<string, unknown>;
      const url = got['parents'] === undefined ? '/scheduler/iso8601' : '/scheduler/dependency';
      expect((await req('POST', url, got)).status).toBe(204);
      expect((await req('GET', `/scheduler/job/${name}`)).json()).toEqual(got);
    }
    const docker = (await req('GET', '/scheduler/job/dockerjob')).json() as Record<string, unknown>;
    const keys = Object.keys(docker);
    expect(['maxCompletionTime', 'container', 'constraints', 'schedule', 'scheduleTimeZone'].map((k) => keys.indexOf(k))).toEqual([28, 29, 30, 31, 32]);
    expect(docker).toMatchObject({ cpus: 0.5, mem: 512, container: { image: 'libmesos/ubuntu' }, fetch: [{ extract: false }] });
  });
});

