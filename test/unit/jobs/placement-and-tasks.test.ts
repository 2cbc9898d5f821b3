// Placement constraints (Chronos `constraints`, /v2 `run.placement`) and the task endpoints (progress, purge).
import { afterEach, describe, expect, it } from 'vitest';
import type { OfferJson } from '../../../src/api/mesos/common.js';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { MemoryStore } from '../../../src/coordination/index.js';
import { createHttpServer } from '../../../src/transport/http-server.js';
import { JobEngine } from '../../../src/jobs/engine/job-engine.js';
import { constraintError, offerMeets } from '../../../src/jobs/engine/constraints.js';
import { registerJobsRoutes } from '../../../src/jobs/http/routes.js';
import { registerV2Routes } from '../../../src/jobs/v2/routes.js';
import { DEFAULT_JOB_DEFAULTS } from '../../../src/jobs/api/job-schema.js';
import { FakeDriver, offer } from './fake-driver.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

function withAttrs(agent: string, host: string, attributes: OfferJson['attributes']): OfferJson {
  return { ...offer(agent), hostname: host, ...(attributes !== undefined ? { attributes } : {}) };
}

const rack1 = withAttrs('a1', 'node-1.dc', [
  { name: 'rack', type: 'TEXT', text: { value: 'rack-1' } },
  { name: 'gen', type: 'SCALAR', scalar: { value: 3 } },
  { name: 'zones', type: 'SET', set: { item: ['east', 'west'] } },
]);

describe('job placement constraints (spec §6.7)', () => {
  it('EQUALS, LIKE and UNLIKE on hostname and attributes; a missing attribute fails UNLIKE', () => {
    expect(offerMeets([], rack1)).toBe(true);
    expect(offerMeets([['rack', 'EQUALS', 'rack-1']], rack1)).toBe(true);
    expect(offerMeets([['rack', 'EQUALS', 'rack-2']], rack1)).toBe(false);
    expect(offerMeets([['hostname', 'EQUALS', 'node-1.dc']], rack1)).toBe(true);
    expect(offerMeets([['hostname', 'LIKE', 'node-[0-9]+\\.dc']], rack1)).toBe(true);
    expect(offerMeets([['hostname', 'LIKE', 'node']], rack1)).toBe(false);
    expect(offerMeets([['gen', 'LIKE', '[2-3]']], rack1)).toBe(true);
    expect(offerMeets([['gen', 'EQUALS', '3.0']], rack1)).toBe(true);
    expect(offerMeets([['zones', 'LIKE', 'west']], rack1)).toBe(true);
    expect(offerMeets([['rack', 'UNLIKE', 'rack-[2-9]']], rack1)).toBe(true);
    expect(offerMeets([['rack', 'UNLIKE', 'rack-1']], rack1)).toBe(false);
    expect(offerMeets([['gpu', 'UNLIKE', 'x']], rack1)).toBe(false);
    expect(offerMeets([['rack', 'EQUALS', 'rack-1'], ['hostname', 'LIKE', 'other']], rack1)).toBe(false);
  });

  it('rejects malformed entries, unknown operators and bad regexes', () => {
    expect(constraintError([['rack', 'EQUALS', 'r1'], ['h', 'LIKE', 'a.*']])).toBeUndefined();
    expect(constraintError([['rack', 'EQUALS']])).toMatch(/constraints\[0\] must be \[attribute, operator, value\]/);
    expect(constraintError([['rack', 'GROUP_BY', '2']])).toMatch(/unknown operator 'GROUP_BY'/);
    expect(constraintError([['rack', 'LIKE', '(']])).toMatch(/invalid regular expression/);
  });
});

async function api(): Promise<{ req: (method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) => Promise<{ status: number; json: () => unknown }>; engine: JobEngine; driver: FakeDriver }> {
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
  const req = async (method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; json: () => unknown }> => {
    const r = await app.inject({ method, url, ...(body !== undefined ? { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
    return { status: r.statusCode, json: () => JSON.parse(r.body) as unknown };
  };
  return { req, engine, driver };
}

describe('constraints through the APIs and the offer match', () => {
  it('Chronos: bad constraints are 400 with a message and nothing stored; a constrained job waits for a matching offer', async () => {
    const { req, engine, driver } = await api();
    const bad = await req('POST', '/scheduler/iso8601', { name: 'c', command: 'true', schedule: 'R//PT1H', constraints: [['rack', 'EQUALS']] });
    expect(bad.status).toBe(400);
    expect(bad.json()).toEqual({ status: 'Bad Request', message: 'constraints[0] must be [attribute, operator, value], got 2 item(s)' });
    const badRe = await req('POST', '/v1/scheduler/dependency', { name: 'c', command: 'true', parents: ['x'], constraints: [['rack', 'LIKE', '[']] });
    expect(badRe.status).toBe(400);
    expect((await req('GET', '/scheduler/jobs')).json()).toEqual([]);
    // An unknown operator is dropped silently, as upstream's deserializer does (spec §3.2).
    expect((await req('POST', '/scheduler/iso8601', { name: 'c', command: 'true', schedule: 'R//PT1H', constraints: [['rack', 'EQUALS', 'rack-1'], ['rack', 'NEAR', 'x']] })).status).toBe(204);
    expect((await req('GET', '/scheduler/job/c')).json()).toMatchObject({ constraints: [['rack', 'EQUALS', 'rack-1']] });
    await engine.startManual('c', undefined);
    const elsewhere = withAttrs('a2', 'node-2', [{ name: 'rack', type: 'TEXT', text: { value: 'rack-2' } }]);
    await engine.onOffers([elsewhere]);
    expect(driver.launched).toEqual([]);
    // An offer the waiting run cannot use is declined, not held (other frameworks may use it).
    expect(driver.declined).toEqual([elsewhere.id.value]);
    await engine.onOffers([rack1]);
    expect(driver.launched.map((t) => t.agent_id?.value)).toEqual(['a1']);
  });

  it('/v2: run.placement constraints are validated (422) and applied (IS/EQ as EQUALS)', async () => {
    const { req, engine, driver } = await api();
    const bad = await req('POST', '/v2/jobs', { id: 'p', run: { cmd: 'true', placement: { constraints: [{ attribute: 'rack', operator: 'NEAR', value: 'x' }, { operator: 'IS', value: 'y' }, { attribute: 'h', operator: 'LIKE', value: '(' }] } } });
    expect(bad.status).toBe(422);
    expect((bad.json() as { details: Array<{ path: string }> }).details.map((d) => d.path).sort()).toEqual(['/run/placement/constraints(0)/operator', '/run/placement/constraints(1)/attribute', '/run/placement/constraints(2)/value']);
    expect((await req('GET', '/v2/jobs')).json()).toEqual([]);
    const ok = await req('POST', '/v2/jobs', { id: 'p', run: { cmd: 'true', placement: { constraints: [{ attribute: 'hostname', operator: 'IS', value: 'node-1.dc' }] } } });
    expect(ok.status).toBe(201);
    expect(ok.json()).toMatchObject({ run: { placement: { constraints: [{ attribute: 'hostname', operator: 'IS', value: 'node-1.dc' }] } } });
    expect((await req('POST', '/v2/jobs/p/runs', {})).status).toBe(201);
    await engine.onOffers([withAttrs('a2', 'node-2.dc', undefined)]);
    expect(driver.launched).toEqual([]);
    await engine.onOffers([rack1]);
    expect(driver.launched).toHaveLength(1);
  });
});

describe('task endpoints: progress and purge', () => {
  it('POST /job/{name}/task/{taskId}/progress validates as upstream (400 + message), 204 otherwise', async () => {
    const { req } = await api();
    expect((await req('POST', '/scheduler/iso8601', { name: 'etl', command: 'true', schedule: 'R//PT1H', dataProcessingJobType: true })).status).toBe(204);
    expect((await req('POST', '/scheduler/iso8601', { name: 'plain', command: 'true', schedule: 'R//PT1H' })).status).toBe(204);
    const task = encodeURIComponent(`ct:${T0}:0:etl:`);
    const cases: Array<[string, unknown, string]> = [
      [`/scheduler/job/nope/task/${task}/progress`, { numAdditionalElementsProcessed: 1 }, "Job 'nope' not found"],
      [`/scheduler/job/etl/task/garbage/progress`, { numAdditionalElementsProcessed: 1 }, "Task id 'garbage' is not a task id of job 'etl'"],
      [`/scheduler/job/plain/task/${encodeURIComponent(`ct:${T0}:0:plain:`)}/progress`, { numAdditionalElementsProcessed: 1 }, "Job 'plain' is not a dataProcessingJobType job"],
      [`/v1/scheduler/job/etl/task/${task}/progress`, { numAdditionalElementsProcessed: -2 }, 'numAdditionalElementsProcessed must be an integer >= 0'],
    ];
    for (const [url, body, message] of cases) {
      const r = await req('POST', url, body);
      expect(r.status, url).toBe(400);
      expect(r.json()).toEqual({ status: 'Bad Request', message });
    }
    expect((await req('POST', `/scheduler/job/etl/task/${task}/progress`, { numAdditionalElementsProcessed: 5 })).status).toBe(204);
  });

  it('DELETE /task/all purges the runs waiting for offers (recorded KILLED), not launched ones', async () => {
    const { req, engine, driver } = await api();
    for (const n of ['a', 'b']) expect((await req('POST', '/scheduler/iso8601', { name: n, command: 'true', schedule: 'R//PT1H', cpus: 3 })).status).toBe(204);
    await engine.startManual('a', undefined);
    await engine.onOffers([offer()]);
    await engine.startManual('b', undefined);
    expect(driver.launched).toHaveLength(1);
    const r = await req('DELETE', '/scheduler/task/all');
    expect(r.status).toBe(204);
    expect(engine.jobState('b')).toBe('idle');
    expect(engine.runs('b')[0]).toMatchObject({ status: 'KILLED', message: 'purged (DELETE /task/all)' });
    expect(engine.jobState('a')).toBe('running');
  });
});
