import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { startAgent, type RunningAgent } from '../../../src/agent/index.js';
import { createHttpServer } from '../../../src/transport/http-server.js';
import { registerAgentRoutes } from '../../../src/agent/http/routes.js';
import { resolveFilePath } from '../../../src/agent/http/files.js';
import { FakeMaster, runTask } from './fake-master.js';
import { waitFor } from '../../helpers/wait.js';

let master: FakeMaster;
let agent: RunningAgent;
let app: FastifyInstance;
let workDir: string;
let sandbox: string;
const virtual = '/frameworks/fw-1/executors/t1/runs/latest';

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'agora-files-'));
  master = new FakeMaster();
  await master.start();
  master.autoAck = true;
  const flags = { port: 0, ip: '127.0.0.1', master: master.address, work_dir: workDir, resources: 'cpus:1;mem:512;disk:100', registration_backoff_factor: 20 };
  agent = await startAgent(flags);
  await waitFor(() => agent.agent.registered, { what: 'registration' });
  master.send(runTask('t1', { value: 'printf 0123456789 > data.txt; mkdir d; sleep 30' }));
  sandbox = await waitFor(() => [...agent.agent.allTasks()][0]?.sandbox);
  await waitFor(() => master.statesOf('t1').includes('TASK_RUNNING'), { what: 'running' });
  await waitFor(async () => (await import('node:fs')).existsSync(join(sandbox, 'd')), { what: 'task output' });
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

const get = async (url: string) => app.inject({ method: 'GET', url });

describe('agent /files', () => {
  it('resolves the three attached names and refuses escapes', () => {
    const attached = new Map([['/a/b', '/real']]);
    expect(resolveFilePath(attached, '/a/b/x')).toBe('/real/x');
    expect(resolveFilePath(attached, '/a/b/../c')).toBeUndefined();
    expect(resolveFilePath(attached, '/a/bc')).toBeUndefined();
  });

  it('browses the sandbox under the virtual, real and latest paths', async () => {
    for (const p of [virtual, sandbox, join(sandbox, '..', 'latest')]) {
      const res = await get(`/files/browse?path=${encodeURIComponent(p)}`);
      expect(res.statusCode).toBe(200);
      const list = res.json<{ path: string; mode: string; size: number; uid: string; nlink: number; mtime: number }[]>();
      const names = list.map((e) => e.path);
      expect(names).toEqual([...names].sort());
      expect(names).toContain(`${p}/stdout`);
      expect(names).toContain(`${p}/data.txt`);
      const d = list.find((e) => e.path === `${p}/d`)!;
      expect(d.mode).toMatch(/^d[rwx-]{9}$/);
      expect(d.uid).toBe('root');
    }
    expect((await get('/files/browse')).statusCode).toBe(400);
    expect((await get('/files/browse?path=/nope')).statusCode).toBe(404);
    expect((await get(`/files/browse?path=${virtual}/missing`)).statusCode).toBe(404);
  });

  it('reads with offset and length, probes the size with -1 and caps reads at 64 KiB', async () => {
    const p = `${virtual}/data.txt`;
    expect((await get(`/files/read?path=${p}&offset=2&length=3`)).json()).toEqual({ offset: 2, data: '234' });
    expect((await get(`/files/read?path=${p}&offset=-1`)).json()).toEqual({ offset: 10, data: '' });
    expect((await get(`/files/read?path=${p}`)).json()).toEqual({ offset: 10, data: '' });
    expect((await get(`/files/read?path=${p}&offset=4`)).json()).toEqual({ offset: 4, data: '456789' });
    expect((await get(`/files/read?path=${p}&offset=50&length=5`)).json()).toEqual({ offset: 50, data: '' });
    const big = (await get(`/files/read?path=${virtual}/big.bin&offset=0`)).json<{ data: string }>();
    expect(big.data.length).toBe(65_536);
    expect((await get(`/files/read?path=${p}&offset=-2`)).statusCode).toBe(400);
    expect((await get(`/files/read?path=${p}&offset=abc`)).statusCode).toBe(400);
    const dir = await get(`/files/read?path=${virtual}/d&offset=0`);
    expect(dir.statusCode).toBe(400);
    expect(dir.body).toBe('Cannot read a directory.');
    expect((await get(`/files/read.json?path=${virtual}/none&offset=0`)).statusCode).toBe(404);
  });

  it('downloads a file with a content type and disposition', async () => {
    const res = await get(`/files/download?path=${virtual}/data.txt`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('0123456789');
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.headers['content-disposition']).toBe('attachment; filename=data.txt');
    expect((await get(`/files/download?path=${virtual}/d`)).statusCode).toBe(400);
    expect((await get(`/files/download?path=${virtual}/big.bin`)).headers['content-type']).toBe('application/octet-stream');
  });

  it('lists attached paths on /files/debug, and serves state, statistics and metrics', async () => {
    const debug = (await get('/files/debug')).json<Record<string, string>>();
    expect(debug[virtual]).toBe(join(sandbox, '..', 'latest'));
    const state = (await get('/slave(1)/state')).json<{ id: string; frameworks: { executors: { directory: string; tasks: { state: string }[] }[] }[] }>();
    expect(state.id).toBe(agent.agent.agentId);
    expect(state.frameworks[0]?.executors[0]?.directory).toBe(sandbox);
    expect(state.frameworks[0]?.executors[0]?.tasks[0]?.state).toBe('TASK_RUNNING');
    const stats = (await get('/monitor/statistics')).json<{ executor_id: string; statistics: { processes: number; mem_rss_bytes: number; mem_limit_bytes: number; cpus_limit: number } }[]>();
    expect(stats[0]?.executor_id).toBe('t1');
    expect(stats[0]?.statistics.processes).toBeGreaterThanOrEqual(1);
    expect(stats[0]?.statistics.mem_rss_bytes).toBeGreaterThan(0);
    expect(stats[0]?.statistics.mem_limit_bytes).toBe(32 * 1024 * 1024);
    const metrics = (await get('/metrics/snapshot')).json<Record<string, number>>();
    expect(metrics['slave/registered']).toBe(1);
    expect(metrics['slave/tasks_running']).toBe(1);
    expect(metrics['slave/cpus_total']).toBe(1);
    expect(metrics['slave/mem_used']).toBe(32);
    expect((await get('/flags')).json<{ flags: Record<string, string> }>().flags['work_dir']).toBe(workDir);
    expect((await get('/health')).statusCode).toBe(200);
  });
});
