import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore, type Version } from '../../../src/coordination/index.js';
import { FakeAgent, Scheduler, frameworkInfo, launch, startHarness, waitFor, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

async function get(url: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const r = await h.app.inject({ method: 'GET', url });
  return { status: r.statusCode, body: r.body, headers: r.headers };
}

async function withTask(): Promise<{ agent: FakeAgent; s: Scheduler }> {
  const agent = await FakeAgent.subscribe(h);
  const s = await Scheduler.subscribe(h, frameworkInfo({ failover_timeout: 100 }));
  await h.clock.advance(1000);
  const o = await waitFor(() => s.offers()[0], 'offer');
  await s.call('ACCEPT', launch(o, 't1'));
  await waitFor(() => agent.runTasks().length === 1, 'RUN_TASK');
  await agent.status(s.frameworkId, 't1', 'TASK_RUNNING', Buffer.alloc(16, 9).toString('base64'));
  await s.stream.next('UPDATE');
  return { agent, s };
}

describe('operator endpoints', () => {
  it('/master/state has the §5.2 keys and shapes; aliases and JSONP work', async () => {
    const { agent, s } = await withTask();
    const r = await get('/master/state');
    expect(r.status).toBe(200);
    const st = JSON.parse(r.body) as Record<string, unknown>;
    for (const k of ['version', 'build_date', 'build_time', 'build_user', 'start_time', 'id', 'pid', 'hostname', 'capabilities', 'activated_slaves', 'deactivated_slaves', 'unreachable_slaves', 'slaves', 'recovered_slaves', 'frameworks', 'completed_frameworks', 'orphan_tasks', 'unregistered_frameworks']) {
      expect(st).toHaveProperty(k);
    }
    const slave = (st['slaves'] as Record<string, unknown>[])[0];
    expect(slave).toMatchObject({ id: agent.agentId, pid: `slave(1)@127.0.0.1:5051`, active: true, attributes: { rack: 'r1' } });
    expect(slave?.['resources']).toMatchObject({ cpus: 4, gpus: 0, mem: 4096, disk: 10000, ports: '[31000-32000]' });
    expect(slave?.['used_resources']).toMatchObject({ cpus: 1, mem: 128 });
    const fw = (st['frameworks'] as Record<string, unknown>[])[0];
    expect(fw).toMatchObject({ id: s.frameworkId, name: 'test', active: true, connected: true, recovered: false, role: '*', user: 'alice', failover_timeout: 100 });
    const task = (fw?.['tasks'] as Record<string, unknown>[])[0];
    expect(task).toMatchObject({ id: 't1', framework_id: s.frameworkId, slave_id: agent.agentId, executor_id: '', state: 'TASK_RUNNING', role: '*' });
    expect((task?.['statuses'] as { state: string }[]).map((x) => x.state)).toEqual(['TASK_RUNNING']);
    for (const alias of ['/state', '/master/state.json', '/state.json']) expect((await get(alias)).status).toBe(200);
    const jsonp = await get('/master/state?jsonp=cb');
    expect(jsonp.headers['content-type']).toMatch(/text\/javascript/);
    expect(jsonp.body.startsWith('cb({')).toBe(true);
    expect(jsonp.body.endsWith('});')).toBe(true);
  });
  it('/master/frameworks, /master/slaves, /master/tasks, /master/roles, /master/state-summary', async () => {
    const { agent, s } = await withTask();
    const fws = JSON.parse((await get(`/master/frameworks?framework_id=${s.frameworkId}`)).body) as { frameworks: unknown[] };
    expect(fws.frameworks).toHaveLength(1);
    expect((JSON.parse((await get('/master/frameworks?framework_id=nope')).body) as { frameworks: unknown[] }).frameworks).toHaveLength(0);
    const slaves = JSON.parse((await get(`/master/slaves?slave_id=${agent.agentId}`)).body) as { slaves: Record<string, unknown>[] };
    expect(slaves.slaves[0]).toHaveProperty('unreserved_resources_full');
    const tasks = JSON.parse((await get('/master/tasks?limit=10&order=asc')).body) as { tasks: { id: string }[] };
    expect(tasks.tasks.map((t) => t.id)).toEqual(['t1']);
    expect((JSON.parse((await get('/master/tasks?task_id=zzz')).body) as { tasks: unknown[] }).tasks).toHaveLength(0);
    const roles = JSON.parse((await get('/master/roles')).body) as { roles: { name: string; frameworks: string[] }[] };
    expect(roles.roles.find((r) => r.name === '*')?.frameworks).toEqual([s.frameworkId]);
    const summary = JSON.parse((await get('/master/state-summary')).body) as { slaves: Record<string, unknown>[]; frameworks: Record<string, unknown>[] };
    expect(summary.slaves[0]).toMatchObject({ TASK_RUNNING: 1, framework_ids: [s.frameworkId] });
    expect(summary.frameworks[0]).toMatchObject({ TASK_RUNNING: 1, slave_ids: [agent.agentId] });
  });
  it('/master/teardown removes a framework (400 for unknown or missing id)', async () => {
    const { agent, s } = await withTask();
    const post = (body: string) => h.app.inject({ method: 'POST', url: '/master/teardown', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body });
    expect((await post('')).statusCode).toBe(400);
    const unknown = await post('frameworkId=nope');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toBe('No framework found with specified ID');
    expect((await post(`frameworkId=${s.frameworkId}`)).statusCode).toBe(200);
    await agent.stream.next('SHUTDOWN_FRAMEWORK');
    const st = JSON.parse((await get('/master/state')).body) as { completed_frameworks: { id: string; completed_tasks: { state: string }[] }[] };
    expect(st.completed_frameworks[0]?.id).toBe(s.frameworkId);
    expect(st.completed_frameworks[0]?.completed_tasks[0]?.state).toBe('TASK_KILLED');
    await waitFor(() => s.stream.ended, 'stream closed');
  });
  it('/redirect, /health, /version, /flags, /api/v1, /metrics/snapshot', async () => {
    await withTask();
    const red = await get('/master/redirect');
    expect(red.status).toBe(307);
    expect(red.headers['location']).toBe('//127.0.0.1:5050');
    expect((await get('/health')).status).toBe(200);
    expect(JSON.parse((await get('/version')).body)).toMatchObject({ version: '1.12.0' });
    const flags = JSON.parse((await get('/flags')).body) as { flags: Record<string, string> };
    expect(flags.flags).toMatchObject({ allocation_interval: '1secs', heartbeat_interval: '5secs', agent_ping_timeout: '15secs' });
    const v1 = await h.app.inject({ method: 'POST', url: '/api/v1', headers: { 'content-type': 'application/json' }, payload: '{"type":"UNKNOWN"}' });
    expect(v1.statusCode).toBe(501);
    const m = JSON.parse((await get('/metrics/snapshot')).body) as Record<string, number>;
    expect(m).toMatchObject({
      'master/elected': 1,
      'master/slaves_active': 1,
      'master/frameworks_active': 1,
      'master/tasks_running': 1,
      'master/cpus_total': 4,
      'master/cpus_used': 1,
      'master/messages_register_framework': 1,
      'master/messages_register_slave': 1,
    });
    expect(m['allocator/mesos/allocation_runs']).toBeGreaterThan(0);
    const fid = Object.keys(m).find((k) => k.startsWith('master/frameworks/test/'))?.split('/')[3];
    expect(m[`master/frameworks/test/${fid}/subscribed`]).toBe(1);
    expect(m[`master/frameworks/test/${fid}/calls/accept`]).toBe(1);
    expect(m[`master/frameworks/test/${fid}/offers/accepted`]).toBe(1);
    expect(m[`master/frameworks/test/${fid}/tasks/active/task_running`]).toBe(1);
    expect(m[`master/frameworks/test/${fid}/events/subscribed`]).toBe(1);
    expect((await get('/metrics/snapshot?timeout=bogus')).status).toBe(400);
    expect(m['system/cpus_total']).toBeGreaterThan(0);
  });
});

describe('teardown durability', () => {
  /** A MemoryStore whose writes of removed-framework records wait until released (or fail). */
  class GatedStore extends MemoryStore {
    gate: { release: () => void; fail: () => void } | undefined;
    override async put(key: string, value: Uint8Array, expected: Version | 'absent'): Promise<Version> {
      if (key.startsWith('master/registry/frameworks/') && new TextDecoder().decode(value).includes('"removed":true')) {
        await new Promise<void>((resolve, reject) => {
          this.gate = { release: resolve, fail: () => reject(new Error('disk full')) };
        });
      }
      return super.put(key, value, expected);
    }
  }

  it('answers the operator only once the removal is durable in the registry (503 if it cannot be written)', async () => {
    for (const outcome of ['release', 'fail'] as const) {
      const store = new GatedStore();
      const g = await startHarness({}, store);
      try {
        const s = await Scheduler.subscribe(g, frameworkInfo());
        let answered: number | undefined;
        const reply = g.app
          .inject({ method: 'POST', url: '/master/teardown', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `frameworkId=${s.frameworkId}` })
          .then((r) => (answered = r.statusCode));
        await waitFor(() => store.gate, 'the removal write to start');
        await new Promise((resolve) => setImmediate(resolve));
        expect(answered).toBeUndefined();
        store.gate?.[outcome]();
        await reply;
        expect(answered).toBe(outcome === 'release' ? 200 : 503);
      } finally {
        await g.close();
      }
    }
  });
});
