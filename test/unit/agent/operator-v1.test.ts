import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { startAgent, type RunningAgent } from '../../../src/agent/index.js';
import { createHttpServer } from '../../../src/transport/http-server.js';
import { registerAgentRoutes } from '../../../src/agent/http/routes.js';
import { signalName } from '../../../src/agent/http/operator-v1-calls.js';
import { FakeClock } from '../../../src/core/clock.js';
import { LoggingLevel } from '../../../src/core/logging-level.js';
import { createLogger } from '../../../src/core/log.js';
import { FakeMaster, runTask } from './fake-master.js';
import { waitFor } from '../../helpers/wait.js';

let master: FakeMaster;
let agent: RunningAgent;
let app: FastifyInstance;
let workDir: string;
let sandbox: string;
const virtual = '/frameworks/fw-1/executors/t1/runs/latest';

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'agora-agent-op-'));
  master = new FakeMaster();
  await master.start();
  master.autoAck = true;
  const flags = { port: 0, ip: '127.0.0.1', master: master.address, work_dir: workDir, resources: 'cpus:1;mem:512;disk:100', registration_backoff_factor: 20 };
  agent = await startAgent(flags);
  await waitFor(() => agent.agent.registered, { what: 'registration' });
  master.send(runTask('t1', { value: 'printf 0123456789 > data.txt; mkdir d; sleep 30' }));
  master.send(runTask('t2', { value: 'sleep 30' }));
  master.send(runTask('t3', { value: 'exit 0' }));
  sandbox = await waitFor(() => [...agent.agent.allTasks()].find((t) => t.task.task_id.value === 't1')?.sandbox);
  await waitFor(() => master.statesOf('t1').includes('TASK_RUNNING') && master.statesOf('t2').includes('TASK_RUNNING'), { what: 'running' });
  await waitFor(() => master.statesOf('t3').includes('TASK_FINISHED'), { what: 't3 finished' });
  await waitFor(() => existsSync(join(sandbox, 'd')), { what: 'task output' });
  mkdirSync(join(sandbox, 'd', 'e'), { recursive: true });
  writeFileSync(join(sandbox, 'big.bin'), Buffer.alloc(100_000, 97));
  app = createHttpServer();
  registerAgentRoutes(app, agent.agent, flags);
});

afterAll(async () => {
  master.send({ type: 'KILL_TASK', kill_task: { framework_id: { value: 'fw-1' }, task_id: { value: 't1' } } });
  await waitFor(() => master.statesOf('t1').includes('TASK_KILLED'), { what: 'killed' });
  await app.close();
  await agent.stop();
  await master.stop();
  rmSync(workDir, { recursive: true, force: true });
});

type Json = Record<string, unknown>;

async function op(body: unknown, headers: Record<string, string> = {}, url = '/api/v1'): Promise<{ status: number; body: string; json: <T = Json>() => T }> {
  const r = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.statusCode, body: r.body, json: <T,>() => JSON.parse(r.body) as T };
}

describe('agent v1 operator API: HTTP checks (spec §1.5)', () => {
  it('answers 405, 400, 415, 406 and 501 in upstream order', async () => {
    const get = await app.inject({ method: 'GET', url: '/api/v1' });
    expect(get.statusCode).toBe(405);
    expect(get.headers['allow']).toBe('POST');
    expect((await app.inject({ method: 'POST', url: '/api/v1', payload: '{"type":"GET_HEALTH"}' })).statusCode).toBe(400);
    expect((await op('{"type":"GET_HEALTH"}', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await op('{"type":"GET_HEALTH"}', { 'content-type': 'application/x-protobuf' })).status).toBe(415);
    const bad = await op('{nope');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/^Failed to parse body into JSON/);
    expect((await op({})).body).toBe("Failed to validate agent::Call: Expecting 'type' to be present");
    expect((await op({ type: 'READ_FILE' })).body).toBe("Failed to validate agent::Call: Expecting 'read_file' to be present");
    const missing = await op({ type: 'READ_FILE', read_file: { path: '/x' } });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatch(/offset/);
    expect((await op({ type: 'GET_HEALTH' }, { accept: 'text/html' })).status).toBe(406);
    // Accept is checked after validation (a bad call with a bad Accept is a 400).
    expect((await op({}, { accept: 'text/html' })).status).toBe(400);
    expect((await op({ type: 'UNKNOWN' })).status).toBe(501);
    for (const type of ['LAUNCH_CONTAINER', 'ATTACH_CONTAINER_OUTPUT', 'GET_RESOURCE_PROVIDERS', 'PRUNE_IMAGES', 'GET_OPERATIONS']) {
      expect((await op({ type })).status, type).toBe(501);
    }
  });
});

describe('agent v1 operator API: reads (spec §5.10)', () => {
  it('GET_HEALTH, GET_VERSION, GET_FLAGS, GET_METRICS, GET_AGENT on both paths', async () => {
    expect((await op({ type: 'GET_HEALTH' }, {}, '/slave(1)/api/v1')).json()).toEqual({ type: 'GET_HEALTH', get_health: { healthy: true } });
    expect((await op({ type: 'GET_VERSION' })).json()).toMatchObject({ type: 'GET_VERSION', get_version: { version_info: { version: '1.12.0' } } });
    const flags = (await op({ type: 'GET_FLAGS' })).json<{ get_flags: { flags: { name: string; value: string }[] } }>();
    expect(flags.get_flags.flags).toContainEqual({ name: 'work_dir', value: workDir });
    const metrics = (await op({ type: 'GET_METRICS', get_metrics: { timeout: { nanoseconds: 1e9 } } })).json<{ get_metrics: { metrics: { name: string; value: number }[] } }>();
    expect(metrics.get_metrics.metrics).toContainEqual({ name: 'slave/registered', value: 1 });
    expect(metrics.get_metrics.metrics).toContainEqual({ name: 'slave/tasks_running', value: 2 });
    expect((await op({ type: 'GET_METRICS', get_metrics: { timeout: { nanoseconds: -1 } } })).status).toBe(400);
    const info = (await op({ type: 'GET_AGENT' })).json<{ get_agent: { agent_info: { id: { value: string }; hostname: string; port: number; resources: { name: string }[] } } }>();
    expect(info.get_agent.agent_info.id.value).toBe(agent.agent.agentId);
    expect(info.get_agent.agent_info.port).toBe(agent.port);
    expect(info.get_agent.agent_info.hostname).toBe('127.0.0.1');
    expect(info.get_agent.agent_info.resources.map((r) => r.name)).toContain('cpus');
  });

  it('GET_TASKS, GET_EXECUTORS, GET_FRAMEWORKS and GET_STATE', async () => {
    const tasks = (await op({ type: 'GET_TASKS' })).json<{ get_tasks: Record<string, { task_id: { value: string }; state: string; agent_id: { value: string }; executor_id: { value: string }; statuses: { state: string; uuid?: string }[] }[]> }>();
    const launched = tasks.get_tasks['launched_tasks'] ?? [];
    expect(launched.map((t) => t.task_id.value).sort()).toEqual(['t1', 't2']);
    expect(launched.every((t) => t.state === 'TASK_RUNNING' && t.agent_id.value === agent.agent.agentId)).toBe(true);
    expect(launched[0]?.executor_id.value).toBe(launched[0]?.task_id.value);
    const last = launched[0]?.statuses.at(-1);
    expect(last?.state).toBe('TASK_RUNNING');
    expect(typeof last?.uuid).toBe('string');
    const done = [...(tasks.get_tasks['terminated_tasks'] ?? []), ...(tasks.get_tasks['completed_tasks'] ?? [])];
    expect(done.map((t) => [t.task_id.value, t.state])).toEqual([['t3', 'TASK_FINISHED']]);
    expect(tasks.get_tasks['pending_tasks']).toEqual([]);

    const ex = (await op({ type: 'GET_EXECUTORS' })).json<{ get_executors: { executors: { executor_info: { executor_id: { value: string }; framework_id: { value: string } } }[]; completed_executors: { executor_info: { executor_id: { value: string } } }[] } }>();
    expect(ex.get_executors.executors.map((e) => e.executor_info.executor_id.value).sort()).toEqual(['t1', 't2']);
    expect(ex.get_executors.executors[0]?.executor_info.framework_id.value).toBe('fw-1');
    expect(ex.get_executors.completed_executors.map((e) => e.executor_info.executor_id.value)).toEqual(['t3']);

    const fws = (await op({ type: 'GET_FRAMEWORKS' })).json<{ get_frameworks: { frameworks: { framework_info: { id: { value: string }; name: string } }[] } }>();
    expect(fws.get_frameworks.frameworks.map((f) => f.framework_info.id.value)).toEqual(['fw-1']);

    const state = (await op({ type: 'GET_STATE' })).json<{ get_state: Json }>();
    expect(Object.keys(state.get_state).sort()).toEqual(['get_executors', 'get_frameworks', 'get_tasks']);
  });

  it('GET_CONTAINERS lists running task containers with statistics', async () => {
    const r = (await op({ type: 'GET_CONTAINERS', get_containers: { show_nested: false } })).json<{ get_containers: { containers: { executor_id: { value: string }; container_id: { value: string }; resource_statistics?: { processes: number } }[] } }>();
    const c = r.get_containers.containers.find((e) => e.executor_id.value === 't1');
    expect(c?.container_id.value).toBe([...agent.agent.allTasks()].find((t) => t.task.task_id.value === 't1')?.containerId);
    expect(c?.resource_statistics?.processes).toBeGreaterThanOrEqual(1);
    expect(r.get_containers.containers.some((e) => e.executor_id.value === 't3')).toBe(false);
  });
});

describe('agent v1 operator API: files (same rules as /files)', () => {
  it('LIST_FILES lists a sandbox under the virtual and host paths, 404 outside', async () => {
    for (const p of [virtual, sandbox]) {
      const r = (await op({ type: 'LIST_FILES', list_files: { path: p } })).json<{ type: string; list_files: { file_infos: { path: string; mode: number; size: number; mtime: { nanoseconds: number } }[] } }>();
      expect(r.type).toBe('LIST_FILES');
      const paths = r.list_files.file_infos.map((f) => f.path);
      expect(paths).toEqual([...paths].sort());
      expect(paths).toContain(`${p}/stdout`);
      const data = r.list_files.file_infos.find((f) => f.path === `${p}/data.txt`);
      expect(data?.size).toBe(10);
      expect(typeof data?.mode).toBe('number');
      expect(data?.mtime.nanoseconds).toBeGreaterThan(0);
    }
    const one = (await op({ type: 'LIST_FILES', list_files: { path: `${virtual}/data.txt` } })).json<{ list_files: { file_infos: { path: string }[] } }>();
    expect(one.list_files.file_infos.map((f) => f.path)).toEqual([`${virtual}/data.txt`]);
    expect((await op({ type: 'LIST_FILES', list_files: { path: '/etc' } })).status).toBe(404);
    expect((await op({ type: 'LIST_FILES', list_files: { path: `${virtual}/../../../../..` } })).status).toBe(404);
    expect((await op({ type: 'LIST_FILES', list_files: { path: `${virtual}/missing` } })).status).toBe(404);
  });

  it('READ_FILE reads ranges as base64, reports the size, caps at 64 KiB', async () => {
    const read = async (body: Json) => (await op({ type: 'READ_FILE', read_file: body })).json<{ read_file: { size: number; data: string } }>().read_file;
    const a = await read({ path: `${virtual}/data.txt`, offset: 2, length: 3 });
    expect(a.size).toBe(10);
    expect(Buffer.from(a.data, 'base64').toString()).toBe('234');
    expect(Buffer.from((await read({ path: `${virtual}/data.txt`, offset: '4' })).data, 'base64').toString()).toBe('456789');
    expect(await read({ path: `${virtual}/data.txt`, offset: 50 })).toEqual({ size: 10, data: '' });
    expect(Buffer.from((await read({ path: `${virtual}/big.bin`, offset: 0 })).data, 'base64').length).toBe(65_536);
    const dir = await op({ type: 'READ_FILE', read_file: { path: `${virtual}/d`, offset: 0 } });
    expect(dir.status).toBe(400);
    expect(dir.body).toBe('Cannot read a directory.');
    expect((await op({ type: 'READ_FILE', read_file: { path: `${virtual}/none`, offset: 0 } })).status).toBe(404);
  });
});

describe('agent v1 operator API: executors of task groups', () => {
  it('lists the default executor, its task under it, and its sandbox under the executor path', async () => {
    const res = [
      { name: 'cpus', type: 'SCALAR' as const, scalar: { value: 0.1 } },
      { name: 'mem', type: 'SCALAR' as const, scalar: { value: 32 } },
    ];
    master.send({
      type: 'RUN_TASK_GROUP',
      run_task_group: {
        framework: { id: { value: 'fw-1' }, name: 'test', user: 'root', checkpoint: true },
        executor: { type: 'DEFAULT', executor_id: { value: 'E1' }, framework_id: { value: 'fw-1' }, resources: res },
        task_group: { tasks: [{ name: 'g1', task_id: { value: 'g1' }, agent_id: { value: 'x' }, resources: res, command: { value: 'echo group-out; sleep 30' } }] },
      },
    });
    await waitFor(() => master.statesOf('g1').includes('TASK_RUNNING'), { what: 'g1 running' });
    const tasks = (await op({ type: 'GET_TASKS' })).json<{ get_tasks: { launched_tasks: { task_id: { value: string }; executor_id: { value: string } }[] } }>();
    expect(tasks.get_tasks.launched_tasks.find((t) => t.task_id.value === 'g1')?.executor_id.value).toBe('E1');
    const ex = (await op({ type: 'GET_EXECUTORS' })).json<{ get_executors: { executors: { executor_info: { executor_id: { value: string }; type?: string } }[] } }>();
    expect(ex.get_executors.executors.map((e) => e.executor_info.executor_id.value)).toContain('E1');
    expect(ex.get_executors.executors.map((e) => e.executor_info.executor_id.value)).not.toContain('g1');
    const path = '/frameworks/fw-1/executors/E1/runs/latest/tasks/g1/stdout';
    await waitFor(async () => (await op({ type: 'READ_FILE', read_file: { path, offset: 0 } })).status === 200, { what: 'group task stdout' });
    const data = await waitFor(async () => {
      const r = (await op({ type: 'READ_FILE', read_file: { path, offset: 0 } })).json<{ read_file: { data: string } }>();
      const text = Buffer.from(r.read_file.data, 'base64').toString();
      return text.includes('group-out') ? text : undefined;
    }, { what: 'group-out' });
    expect(data).toContain('group-out');
    master.send({ type: 'KILL_TASK', kill_task: { framework_id: { value: 'fw-1' }, task_id: { value: 'g1' } } });
    await waitFor(() => master.statesOf('g1').includes('TASK_KILLED'), { what: 'g1 killed' });
  });
});

describe('agent v1 operator API: logging level and KILL_CONTAINER', () => {
  it('SET_LOGGING_LEVEL answers an empty 200 and GET_LOGGING_LEVEL reports it', async () => {
    const set = await op({ type: 'SET_LOGGING_LEVEL', set_logging_level: { level: 2, duration: { nanoseconds: 60e9 } } });
    expect(set.status).toBe(200);
    expect(set.body).toBe('');
    expect((await op({ type: 'GET_LOGGING_LEVEL' })).json()).toEqual({ type: 'GET_LOGGING_LEVEL', get_logging_level: { level: 2 } });
    await op({ type: 'SET_LOGGING_LEVEL', set_logging_level: { level: 0, duration: { nanoseconds: 0 } } });
    expect((await op({ type: 'GET_LOGGING_LEVEL' })).json()).toEqual({ type: 'GET_LOGGING_LEVEL', get_logging_level: { level: 0 } });
  });

  it('the level reverts after the duration on the injected clock and maps onto the logger', async () => {
    const clock = new FakeClock(0);
    const logger = createLogger('t', 'info');
    const l = new LoggingLevel(clock, logger);
    l.set(1, 5000);
    expect(l.current).toBe(1);
    expect(logger.level).toBe('debug');
    await clock.advance(4999);
    expect(l.current).toBe(1);
    l.set(3, 1000);
    expect(logger.level).toBe('trace');
    await clock.advance(1000);
    expect(l.current).toBe(0);
    expect(logger.level).toBe('info');
  });

  it('maps signal numbers', () => {
    expect(signalName(undefined)).toBe('SIGKILL');
    expect(signalName(15)).toBe('SIGTERM');
    expect(signalName(9999)).toBeUndefined();
  });

  it('KILL_CONTAINER signals a task container; unknown containers are 404', async () => {
    expect((await op({ type: 'KILL_CONTAINER', kill_container: { container_id: { value: 'nope' } } })).status).toBe(404);
    const cid = [...agent.agent.allTasks()].find((t) => t.task.task_id.value === 't2')?.containerId ?? '';
    expect((await op({ type: 'KILL_CONTAINER', kill_container: { container_id: { value: cid }, signal: 9999 } })).status).toBe(400);
    const r = await op({ type: 'KILL_CONTAINER', kill_container: { container_id: { value: cid }, signal: 15 } });
    expect(r.status).toBe(200);
    await waitFor(() => master.statesOf('t2').some((s) => s === 'TASK_FAILED' || s === 'TASK_KILLED'), { what: 't2 terminal' });
  });
});
