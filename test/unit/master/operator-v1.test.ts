import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAgent, Scheduler, StreamClient, frameworkInfo, launch, startHarness, waitFor, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

type Json = Record<string, unknown>;

async function op(body: unknown, headers: Record<string, string> = {}, url = '/api/v1'): Promise<{ status: number; body: string; json: () => Json; headers: Record<string, unknown> }> {
  const r = await h.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.statusCode, body: r.body, json: () => JSON.parse(r.body) as Json, headers: r.headers };
}

async function withTask(info: Json = frameworkInfo()): Promise<{ agent: FakeAgent; s: Scheduler }> {
  const agent = await FakeAgent.subscribe(h);
  const s = await Scheduler.subscribe(h, info);
  await h.clock.advance(1000);
  const o = await waitFor(() => s.offers()[0], 'offer');
  await s.call('ACCEPT', launch(o, 't1'));
  await waitFor(() => agent.runTasks().length === 1, 'RUN_TASK');
  await agent.status(s.frameworkId, 't1', 'TASK_RUNNING', Buffer.alloc(16, 9).toString('base64'));
  await s.stream.next('UPDATE');
  return { agent, s };
}

describe('v1 operator API: HTTP checks (spec §1.5)', () => {
  it('answers 405, 400, 415, 406 and 501 as upstream', async () => {
    const get = await h.app.inject({ method: 'GET', url: '/api/v1' });
    expect(get.statusCode).toBe(405);
    expect(get.headers['allow']).toBe('POST');
    const noCt = await h.app.inject({ method: 'POST', url: '/api/v1', payload: '{"type":"GET_HEALTH"}' });
    expect(noCt.statusCode).toBe(400);
    expect((await op('{"type":"GET_HEALTH"}', { 'content-type': 'text/plain' })).status).toBe(415);
    const bad = await op('{not json');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/^Failed to parse body into JSON/);
    const noType = await op({});
    expect(noType.status).toBe(400);
    expect(noType.body).toBe("Failed to validate master::Call: Expecting 'type' to be present");
    expect((await op({ type: 'NOT_A_CALL' })).body).toBe("Failed to validate master::Call: Expecting 'type' to be present");
    const noSub = await op({ type: 'TEARDOWN' });
    expect(noSub.status).toBe(400);
    expect(noSub.body).toBe("Failed to validate master::Call: Expecting 'teardown' to be present");
    const missing = await op({ type: 'MARK_AGENT_GONE', mark_agent_gone: {} });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatch(/agent_id/);
    expect((await op({ type: 'GET_HEALTH' }, { accept: 'text/html' })).status).toBe(406);
    expect((await op({ type: 'UNKNOWN' })).status).toBe(501);
    expect((await op({ type: 'RESERVE_RESOURCES' })).status).toBe(400);
    for (const type of ['SET_QUOTA', 'GROW_VOLUME']) {
      expect((await op({ type })).status, type).toBe(501);
    }
    // Maintenance calls (issue 4): a missing sub-message is a 400, reads answer 200.
    expect((await op({ type: 'START_MAINTENANCE' })).status).toBe(400);
    expect((await op({ type: 'DRAIN_AGENT' })).status).toBe(400);
    expect((await op({ type: 'GET_MAINTENANCE_STATUS' })).status).toBe(200);
  });
});

describe('v1 operator API: reads (spec §5.9)', () => {
  it('GET_HEALTH, GET_VERSION, GET_FLAGS, GET_METRICS, GET_LOGGING_LEVEL, GET_MASTER', async () => {
    const health = await op({ type: 'GET_HEALTH' }, {}, '/master/api/v1');
    expect(health.status).toBe(200);
    expect(health.headers['content-type']).toMatch(/application\/json/);
    expect(health.json()).toEqual({ type: 'GET_HEALTH', get_health: { healthy: true } });
    expect((await op({ type: 'GET_VERSION' })).json()).toMatchObject({ type: 'GET_VERSION', get_version: { version_info: { version: '1.12.0' } } });
    const flags = (await op({ type: 'GET_FLAGS' })).json() as { get_flags: { flags: { name: string; value: string }[] } };
    expect(flags.get_flags.flags).toContainEqual({ name: 'allocation_interval', value: '1secs' });
    const metrics = (await op({ type: 'GET_METRICS', get_metrics: { timeout: { nanoseconds: 5e9 } } })).json() as { get_metrics: { metrics: { name: string; value: number }[] } };
    expect(metrics.get_metrics.metrics).toContainEqual({ name: 'master/elected', value: 1 });
    expect((await op({ type: 'GET_LOGGING_LEVEL' })).json()).toEqual({ type: 'GET_LOGGING_LEVEL', get_logging_level: { level: 0 } });
    const master = (await op({ type: 'GET_MASTER' })).json() as { get_master: { master_info: { id: string; port: number }; start_time: number; elected_time: number } };
    expect(master.get_master.master_info.id).toBe(h.master.masterId);
    expect(typeof master.get_master.start_time).toBe('number');
    expect(typeof master.get_master.elected_time).toBe('number');
  });

  it('GET_STATE, GET_AGENTS, GET_FRAMEWORKS, GET_TASKS, GET_EXECUTORS have the v1 shapes', async () => {
    const { agent, s } = await withTask();
    const agents = (await op({ type: 'GET_AGENTS' })).json()['get_agents'] as { agents: Json[] };
    expect(agents.agents).toHaveLength(1);
    expect(agents.agents[0]).toMatchObject({ agent_info: { id: { value: agent.agentId }, hostname: '127.0.0.1', port: 5051 }, active: true, pid: 'slave(1)@127.0.0.1:5051' });
    expect(agents.agents[0]?.['registered_time']).toHaveProperty('nanoseconds');
    expect(agents.agents[0]?.['total_resources']).toContainEqual(expect.objectContaining({ name: 'cpus', type: 'SCALAR', scalar: { value: 4 } }));
    expect(agents.agents[0]?.['allocated_resources']).toContainEqual(expect.objectContaining({ name: 'cpus', scalar: { value: 1 } }));
    const fws = (await op({ type: 'GET_FRAMEWORKS' })).json()['get_frameworks'] as { frameworks: Json[] };
    expect(fws.frameworks[0]).toMatchObject({
      framework_info: { id: { value: s.frameworkId }, name: 'test', user: 'alice', failover_timeout: 0, checkpoint: false },
      active: true,
      connected: true,
      recovered: false,
    });
    const tasks = (await op({ type: 'GET_TASKS' })).json()['get_tasks'] as { tasks: Json[] };
    expect(tasks.tasks).toHaveLength(1);
    const t = tasks.tasks[0];
    expect(t).toMatchObject({ name: 't1', task_id: { value: 't1' }, framework_id: { value: s.frameworkId }, agent_id: { value: agent.agentId }, state: 'TASK_RUNNING', status_update_state: 'TASK_RUNNING' });
    expect(t).not.toHaveProperty('executor_id');
    expect((t?.['statuses'] as { state: string }[]).map((x) => x.state)).toEqual(['TASK_RUNNING']);
    expect((await op({ type: 'GET_EXECUTORS' })).json()).toEqual({ type: 'GET_EXECUTORS', get_executors: {} });
    const state = (await op({ type: 'GET_STATE' })).json()['get_state'] as Json;
    expect(Object.keys(state).sort()).toEqual(['get_agents', 'get_executors', 'get_frameworks', 'get_tasks']);
    expect(state['get_tasks']).toEqual(tasks);
  });

  it('GET_EXECUTORS lists explicit executors of live tasks', async () => {
    const agent = await FakeAgent.subscribe(h);
    const s = await Scheduler.subscribe(h);
    await h.clock.advance(1000);
    const o = await waitFor(() => s.offers()[0], 'offer');
    const accept = launch(o, 't1') as { accept: { operations: { launch: { task_infos: Json[] } }[] } };
    const ti = accept.accept.operations[0]?.launch.task_infos[0];
    if (ti === undefined) throw new Error('no task');
    delete ti['command'];
    ti['executor'] = { executor_id: { value: 'e1' }, command: { value: 'my-executor' } };
    await s.call('ACCEPT', accept);
    await waitFor(() => agent.runTasks().length === 1, 'RUN_TASK');
    const ex = (await op({ type: 'GET_EXECUTORS' })).json()['get_executors'] as { executors: Json[] };
    expect(ex.executors).toEqual([{ executor_info: expect.objectContaining({ executor_id: { value: 'e1' }, framework_id: { value: s.frameworkId } }) as unknown, agent_id: { value: agent.agentId } }]);
    const tasks = (await op({ type: 'GET_TASKS' })).json()['get_tasks'] as { tasks: Json[] };
    expect(tasks.tasks[0]).toMatchObject({ executor_id: { value: 'e1' }, state: 'TASK_STAGING' });
  });
});

describe('v1 operator API: weights, quota, roles', () => {
  it('UPDATE_WEIGHTS / GET_WEIGHTS agree with /weights; invalid weights are 400', async () => {
    expect((await op({ type: 'GET_WEIGHTS' })).json()).toEqual({ type: 'GET_WEIGHTS', get_weights: {} });
    const up = await op({ type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'web', weight: 2.5 }] } });
    expect(up.status).toBe(200);
    expect(up.body).toBe('');
    expect((await op({ type: 'GET_WEIGHTS' })).json()).toEqual({ type: 'GET_WEIGHTS', get_weights: { weight_infos: [{ weight: 2.5, role: 'web' }] } });
    const legacy = await h.app.inject({ method: 'GET', url: '/weights' });
    expect(JSON.parse(legacy.body)).toEqual([{ role: 'web', weight: 2.5 }]);
    expect((await op({ type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'web', weight: -1 }] } })).status).toBe(400);
    const roles = (await op({ type: 'GET_ROLES' })).json()['get_roles'] as { roles: Json[] };
    expect(roles.roles).toContainEqual(expect.objectContaining({ name: 'web', weight: 2.5 }));
  });

  it('UPDATE_QUOTA sets, validates (400), refuses limits below consumption (409 unless force) and removes', async () => {
    await withTask(frameworkInfo({ role: 'dev' }));
    const set = await op({ type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'eng', guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 2 } } }] } });
    expect(set.status).toBe(200);
    const q = (await op({ type: 'GET_QUOTA' })).json()['get_quota'] as { status: { configs: Json[] } };
    expect(q.status.configs).toEqual([{ role: 'eng', guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 2 } } }]);
    expect(JSON.parse((await h.app.inject({ method: 'GET', url: '/quota' })).body)).toEqual(q.status);
    const bad = await op({ type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'eng', guarantees: { cpus: { value: 3 } }, limits: { cpus: { value: 2 } } }] } });
    expect(bad.status).toBe(400);
    expect((await op({ type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: '*', limits: { cpus: { value: 2 } } }] } })).status).toBe(400);
    const below = { quota_configs: [{ role: 'dev', limits: { cpus: { value: 0.5 } } }] };
    expect((await op({ type: 'UPDATE_QUOTA', update_quota: below })).status).toBe(409);
    expect((await op({ type: 'UPDATE_QUOTA', update_quota: { ...below, force: true } })).status).toBe(200);
    expect(h.master.roleSettings.quota('dev')?.limits.get('cpus')).toBe(0.5);
    expect((await op({ type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'eng' }] } })).status).toBe(200);
    expect(h.master.roleSettings.quota('eng')).toBeUndefined();
    const roles = (await op({ type: 'GET_ROLES' })).json()['get_roles'] as { roles: Json[] };
    const dev = roles.roles.find((r) => r['name'] === 'dev');
    expect(dev).toMatchObject({ quota: { role: 'dev', limits: { cpus: { value: 0.5 } }, consumed: { cpus: { value: 1 } } } });
    expect(dev?.['allocated']).toContainEqual({ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } });
  });
});

describe('v1 operator API: TEARDOWN and MARK_AGENT_GONE', () => {
  it('TEARDOWN removes the framework (200) and answers 400 for an unknown one', async () => {
    const { s } = await withTask();
    const r = await op({ type: 'TEARDOWN', teardown: { framework_id: { value: s.frameworkId } } });
    expect(r.status).toBe(200);
    expect(r.body).toBe('');
    expect(h.master.frameworks.has(s.frameworkId as never)).toBe(false);
    await waitFor(() => s.stream.ended, 'scheduler stream closed');
    expect((await op({ type: 'TEARDOWN', teardown: { framework_id: { value: 'nope' } } })).status).toBe(400);
  });

  it('MARK_AGENT_GONE: TASK_LOST for a non-partition-aware framework, SHUTDOWN to the agent, gone in the registry', async () => {
    const { agent, s } = await withTask();
    expect((await op({ type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: 'unknown' } } })).status).toBe(404);
    const r = await op({ type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agent.agentId } } });
    expect(r.status).toBe(200);
    const lost = await waitFor(() => s.updates().find((u) => u.state === 'TASK_LOST'), 'TASK_LOST');
    expect(lost).toMatchObject({ task_id: { value: 't1' }, reason: 'REASON_AGENT_REMOVED_BY_OPERATOR', source: 'SOURCE_MASTER' });
    await agent.stream.next('SHUTDOWN');
    await waitFor(() => agent.stream.ended, 'agent stream closed');
    expect(h.master.agents.get(agent.agentId as never)?.state).toBe('gone');
    const snap = await h.master.registry.recover();
    expect(snap.agents.find((a) => a.id === agent.agentId)?.state).toBe('gone');
    // Idempotent, and the agent is refused when it comes back.
    expect((await op({ type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agent.agentId } } })).status).toBe(200);
    const back = await StreamClient.open(`${h.url}/agora/api/v1/agent`, {
      type: 'SUBSCRIBE',
      agent_id: { value: agent.agentId },
      subscribe: { version: 1, agent_info: { hostname: '127.0.0.1', port: 5051 }, capabilities: [], frameworks: [], tasks: [] },
    });
    await back.next('SHUTDOWN');
    const tasks = (await op({ type: 'GET_TASKS' })).json()['get_tasks'] as { completed_tasks: Json[] };
    expect(tasks.completed_tasks[0]).toMatchObject({ state: 'TASK_LOST' });
    expect((await op({ type: 'GET_AGENTS' })).json()).toEqual({ type: 'GET_AGENTS', get_agents: {} });
    back.close();
  });

  it('MARK_AGENT_GONE: TASK_GONE_BY_OPERATOR for a partition-aware framework', async () => {
    const { agent, s } = await withTask(frameworkInfo({ capabilities: [{ type: 'PARTITION_AWARE' }] }));
    expect((await op({ type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agent.agentId } } })).status).toBe(200);
    const gone = await waitFor(() => s.updates().find((u) => u.state === 'TASK_GONE_BY_OPERATOR'), 'TASK_GONE_BY_OPERATOR');
    expect(gone.reason).toBe('REASON_AGENT_REMOVED_BY_OPERATOR');
  });
});
