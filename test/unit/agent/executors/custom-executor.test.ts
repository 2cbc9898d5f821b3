// Custom executors on a real agent (real processes) against a fake master: launch once per executor id,
// LAUNCH delivery, updates + ACKNOWLEDGED, framework messages both ways, executor exit and registration timeout.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startAgent, type RunningAgent } from '../../../../src/agent/index.js';
import type { AgentEvent } from '../../../../src/api/agora/agent-protocol.js';
import { FakeMaster } from '../fake-master.js';
import { agentCgroupBase } from '../../../../src/agent/containerizer/isolators/cgroups-host.js';
import { waitFor } from '../../../helpers/wait.js';
import { killPids, pidsUsingPath } from '../../../helpers/proc.js';

// Fetched into the sandbox as frameworks ship executors: the repository may sit under /tmp, which a task's private /tmp hides.
const FIXTURE = resolve('test/fixtures/echo-executor.mjs');
let master: FakeMaster;
let agent: RunningAgent | undefined;
let workDir: string;

function flags(extra: Record<string, string | number> = {}): Record<string, string | number> {
  return {
    port: 0,
    master: master.address,
    work_dir: workDir,
    resources: 'cpus:4;mem:4096;disk:1000;ports:[31000-31010]',
    status_update_retry_interval: 200,
    registration_backoff_factor: 20,
    executor_shutdown_grace_period: 1000,
    ...extra,
  };
}

const FW = { id: { value: 'fw-1' }, name: 'test', user: 'root', checkpoint: true };
const RES = [
  { name: 'cpus', type: 'SCALAR' as const, scalar: { value: 0.1 } },
  { name: 'mem', type: 'SCALAR' as const, scalar: { value: 32 } },
];

function executorInfo(eid: string, env: Record<string, string> = {}): Record<string, unknown> {
  return {
    type: 'CUSTOM',
    executor_id: { value: eid },
    framework_id: { value: 'fw-1' },
    command: { value: `${process.execPath} echo-executor.mjs`, uris: [{ value: FIXTURE }], environment: { variables: Object.entries(env).map(([name, value]) => ({ name, value })) } },
    resources: RES,
  };
}

function runExecutorTask(tid: string, eid: string, mode: string, env: Record<string, string> = {}): AgentEvent {
  return {
    type: 'RUN_TASK',
    run_task: {
      framework: FW,
      task: { name: tid, task_id: { value: tid }, agent_id: { value: 'x' }, resources: RES, executor: executorInfo(eid, env), data: Buffer.from(mode).toString('base64') } as never,
    },
  };
}

beforeEach(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'agora-exec-'));
  master = new FakeMaster();
  await master.start();
});

afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  await master.stop();
  killPids(pidsUsingPath(workDir));
  rmSync(workDir, { recursive: true, force: true });
});

const calls = (type: string) => master.calls.filter((c) => c.type === type);

describe('custom executors', () => {
  it('starts one executor for two tasks, relays updates, acks and framework messages both ways', async () => {
    agent = await startAgent(flags());
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    master.send(runExecutorTask('t1', 'echo', 'finish'));
    master.send(runExecutorTask('t2', 'echo', 'run'));
    await waitFor(() => master.statesOf('t1').includes('TASK_FINISHED') && master.statesOf('t2').includes('TASK_RUNNING'), { what: 'updates from the executor' });
    const e = agent.agent.executors.get('fw-1', 'echo');
    expect(e?.phase).toBe('running');
    expect([...agent.agent.executors.list()]).toHaveLength(1);
    const running = master.updates.find((u) => u.status.task_id.value === 't2' && u.status.state === 'TASK_RUNNING');
    expect(running?.status.source).toBe('SOURCE_EXECUTOR');
    expect(running?.status.executor_id?.value).toBe('echo');
    expect(running?.status.agent_id?.value).toBeTruthy();
    const log = (): string => readFileSync(join(e?.sandbox ?? '', 'events.log'), 'utf8');
    // The agent acknowledges every update to the executor.
    await waitFor(() => (log().match(/^ACKNOWLEDGED/gm) ?? []).length >= 3, { what: 'ACKNOWLEDGED events' });
    expect(log()).toMatch(/^SUBSCRIBED /m);
    expect((log().match(/^LAUNCH /gm) ?? []).length).toBe(2);
    // Environment of §4.3.
    // Framework message to the executor, echoed back as EXECUTOR_MESSAGE.
    master.send({ type: 'FRAMEWORK_MESSAGE', framework_message: { framework_id: { value: 'fw-1' }, executor_id: { value: 'echo' }, data: Buffer.from('ping').toString('base64') } });
    const msg = await waitFor(() => calls('EXECUTOR_MESSAGE')[0], { what: 'EXECUTOR_MESSAGE' });
    expect(Buffer.from(msg.executor_message?.data ?? '', 'base64').toString()).toBe('echo:ping');
    expect(msg.executor_message?.executor_id.value).toBe('echo');
    // Kill goes to the executor, which answers TASK_KILLED.
    master.send({ type: 'KILL_TASK', kill_task: { framework_id: { value: 'fw-1' }, task_id: { value: 't2' } } });
    await waitFor(() => master.statesOf('t2').includes('TASK_KILLED'), { what: 'TASK_KILLED from the executor' });
    // SHUTDOWN_EXECUTOR: the executor exits; the master hears EXITED_EXECUTOR.
    master.send({ type: 'SHUTDOWN_EXECUTOR', shutdown_executor: { framework_id: { value: 'fw-1' }, executor_id: { value: 'echo' } } });
    const exited = await waitFor(() => calls('EXITED_EXECUTOR')[0], { what: 'EXITED_EXECUTOR' });
    expect(exited.exited_executor?.executor_id.value).toBe('echo');
    expect(exited.exited_executor?.status).toBe(0);
    expect(agent.agent.executors.get('fw-1', 'echo')).toBeUndefined();
  });

  it("grows the executor's memory cgroup when another task arrives (real cgroups v1 when root)", async () => {
    agent = await startAgent(flags());
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    master.send(runExecutorTask('g1', 'grow', 'run'));
    await waitFor(() => master.statesOf('g1').includes('TASK_RUNNING'), { what: 'first task running' });
    const e = agent.agent.executors.get('fw-1', 'grow');
    const limitFile = join('/sys/fs/cgroup/memory', agentCgroupBase('agora', workDir), e?.containerId ?? '', 'memory.limit_in_bytes');
    // Where the host cannot isolate (not root, no cgroup v1 memory), the launcher is posix and has nothing to grow.
    if (!agent.agent.launcher.isolation.includes('cgroups/mem') || !existsSync(limitFile)) {
      expect(process.getuid?.()).not.toBe(0);
      return;
    }
    const before = Number(readFileSync(limitFile, 'utf8'));
    expect(before).toBe(64 * 1024 * 1024); // the executor's 32 MB plus its first task's 32 MB
    master.send(runExecutorTask('g2', 'grow', 'run'));
    await waitFor(() => master.statesOf('g2').includes('TASK_RUNNING'), { what: 'second task running' });
    await waitFor(() => Number(readFileSync(limitFile, 'utf8')) === 96 * 1024 * 1024, { what: 'memory limit raised to 96 MB' });
  });

  it('gives the executor the §4.3 environment', async () => {
    agent = await startAgent(flags());
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    const ev = runExecutorTask('env1', 'envexec', 'run');
    if (ev.type === 'RUN_TASK' && ev.run_task.task.executor) ev.run_task.task.executor.command = { value: 'env > env.txt; sleep 30' };
    master.send(ev);
    const e = await waitFor(() => agent?.agent.executors.get('fw-1', 'envexec'), { what: 'executor record' });
    const file = join(e.sandbox, 'env.txt');
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').includes('LIBPROCESS_PORT'), { what: 'env.txt' });
    const env = Object.fromEntries(readFileSync(file, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(env['MESOS_FRAMEWORK_ID']).toBe('fw-1');
    expect(env['MESOS_EXECUTOR_ID']).toBe('envexec');
    expect(env['MESOS_DIRECTORY']).toBe(e.sandbox);
    expect(env['MESOS_SANDBOX']).toBe(e.sandbox);
    expect(env['MESOS_AGENT_ENDPOINT']).toBe(`127.0.0.1:${agent.port}`);
    expect(env['MESOS_SLAVE_PID']).toBe(`slave(1)@127.0.0.1:${agent.port}`);
    expect(env['MESOS_CHECKPOINT']).toBe('1');
    expect(env['MESOS_RECOVERY_TIMEOUT']).toBe('15mins');
    expect(env['MESOS_SUBSCRIPTION_BACKOFF_MAX']).toBe('2secs');
    expect(env['MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD']).toBe('1secs');
    expect(env['MESOS_HTTP_COMMAND_EXECUTOR']).toBe('0');
  });

  it('fails the running task with REASON_EXECUTOR_TERMINATED when the executor exits', async () => {
    agent = await startAgent(flags());
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    master.send(runExecutorTask('x1', 'dies', 'exit'));
    await waitFor(() => master.statesOf('x1').includes('TASK_FAILED'), { what: 'TASK_FAILED' });
    expect(master.statesOf('x1')).toEqual(['TASK_RUNNING', 'TASK_FAILED']);
    const failed = master.updates.find((u) => u.status.task_id.value === 'x1' && u.status.state === 'TASK_FAILED');
    expect(failed?.status.reason).toBe('REASON_EXECUTOR_TERMINATED');
    expect(failed?.status.source).toBe('SOURCE_AGENT');
    expect(failed?.status.message).toBe('Executor terminated: exited with status 3');
    const exited = await waitFor(() => calls('EXITED_EXECUTOR')[0], { what: 'EXITED_EXECUTOR' });
    expect(exited.exited_executor?.status).toBe(3 << 8);
  });

  it('kills an executor that never subscribes after --executor_registration_timeout', async () => {
    agent = await startAgent(flags({ executor_registration_timeout: 800 }));
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    master.send(runExecutorTask('q1', 'mute', 'run', { ECHO_MODE: 'never-subscribe' }));
    const e = await waitFor(() => agent?.agent.executors.get('fw-1', 'mute'), { what: 'executor record' });
    await waitFor(() => existsSync(join(e.sandbox, 'events.log')), { what: 'executor started' });
    await waitFor(() => master.statesOf('q1').includes('TASK_FAILED'), { what: 'TASK_FAILED', timeoutMs: 10_000 });
    const failed = master.updates.find((u) => u.status.task_id.value === 'q1');
    expect(failed?.status.reason).toBe('REASON_EXECUTOR_REGISTRATION_TIMEOUT');
    expect(master.statesOf('q1')).toEqual(['TASK_FAILED']);
    await waitFor(() => calls('EXITED_EXECUTOR')[0], { what: 'EXITED_EXECUTOR' });
    expect(e.exit).toEqual({ kind: 'signaled', signal: 'SIGKILL' });
  });

  it('kills a queued task before delivery with REASON_TASK_KILLED_DURING_LAUNCH', async () => {
    agent = await startAgent(flags({ executor_registration_timeout: 60_000 }));
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    master.send(runExecutorTask('k1', 'slow', 'run', { ECHO_MODE: 'never-subscribe' }));
    await waitFor(() => agent?.agent.executors.get('fw-1', 'slow'), { what: 'executor record' });
    master.send({ type: 'KILL_TASK', kill_task: { framework_id: { value: 'fw-1' }, task_id: { value: 'k1' } } });
    await waitFor(() => master.statesOf('k1').includes('TASK_KILLED'), { what: 'TASK_KILLED' });
    expect(master.updates.find((u) => u.status.task_id.value === 'k1')?.status.reason).toBe('REASON_TASK_KILLED_DURING_LAUNCH');
  });

  it('answers executor API errors like upstream', async () => {
    agent = await startAgent(flags({ executor_registration_timeout: 60_000 }));
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    master.send(runExecutorTask('z1', 'quiet', 'run', { ECHO_MODE: 'never-subscribe' }));
    await waitFor(() => agent?.agent.executors.get('fw-1', 'quiet')?.phase === 'registering', { what: 'executor spawned' });
    const post = async (body: unknown, path = '/api/v1/executor', type = 'application/json') => {
      const r = await fetch(`${agent?.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
      return { status: r.status, text: await r.text() };
    };
    const ids = { framework_id: { value: 'fw-1' }, executor_id: { value: 'quiet' } };
    expect(await post({ ...ids, framework_id: { value: 'nope' }, type: 'HEARTBEAT' })).toEqual({ status: 400, text: 'Framework cannot be found' });
    expect(await post({ ...ids, executor_id: { value: 'nope' }, type: 'HEARTBEAT' })).toEqual({ status: 400, text: 'Executor cannot be found' });
    expect((await post({ type: 'HEARTBEAT' })).status).toBe(400);
    expect((await post('x', '/api/v1/executor', 'application/x-protobuf')).status).toBe(415);
    expect((await fetch(`${agent.url}/api/v1/executor`)).status).toBe(405);
    expect(await post({ ...ids, type: 'HEARTBEAT' }, '/slave(1)/api/v1/executor')).toEqual({ status: 403, text: 'Executor is not subscribed' });
    const uuid = Buffer.alloc(16, 1).toString('base64');
    // Subscribe by hand (the executor process never does), then send bad updates.
    const ac = new AbortController();
    const sub = await fetch(`${agent.url}/api/v1/executor`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...ids, type: 'SUBSCRIBE', subscribe: {} }), signal: ac.signal });
    expect(sub.status).toBe(200);
    const status = (extra: Record<string, unknown>) => ({ ...ids, type: 'UPDATE', update: { status: { task_id: { value: 'z1' }, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', uuid, ...extra } } });
    expect((await post(status({ source: 'SOURCE_AGENT' }))).status).toBe(400);
    expect((await post(status({ uuid: undefined }))).status).toBe(400);
    expect((await post(status({ state: 'TASK_STAGING' }))).status).toBe(400);
    expect((await post(status({ executor_id: { value: 'other' } }))).status).toBe(400);
    expect(agent.agent.counters.invalidUpdates).toBe(4);
    expect((await post(status({}))).status).toBe(202);
    await waitFor(() => master.statesOf('z1').includes('TASK_RUNNING'), { what: 'RUNNING relayed' });
    // The same uuid again is a duplicate: acknowledged, not relayed twice.
    expect((await post(status({}))).status).toBe(202);
    expect((await post({ ...ids, type: 'MESSAGE', message: { data: Buffer.from('hi').toString('base64') } })).status).toBe(202);
    await waitFor(() => calls('EXECUTOR_MESSAGE').length === 1, { what: 'EXECUTOR_MESSAGE' });
    expect(master.statesOf('z1')).toEqual(['TASK_RUNNING']);
    ac.abort();
    // Re-subscribing with an update the agent never acknowledged: processed like an UPDATE.
    const again = new AbortController();
    const finished = { task_id: { value: 'z1' }, state: 'TASK_FINISHED', source: 'SOURCE_EXECUTOR', uuid: Buffer.alloc(16, 2).toString('base64') };
    const resub = await fetch(`${agent.url}/api/v1/executor`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...ids, type: 'SUBSCRIBE', subscribe: { unacknowledged_updates: [{ status: finished }, { status: { ...finished, source: 'SOURCE_AGENT' } }] } }),
      signal: again.signal,
    });
    expect(resub.status).toBe(200);
    await waitFor(() => master.statesOf('z1').includes('TASK_FINISHED'), { what: 'FINISHED from unacknowledged_updates' });
    expect(agent.agent.counters.invalidUpdates).toBe(5);
    again.abort();
  });

  it('shuts executors down with their framework and owes that framework no updates', async () => {
    agent = await startAgent(flags());
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    master.send(runExecutorTask('s1', 'sd', 'run'));
    await waitFor(() => master.statesOf('s1').includes('TASK_RUNNING'), { what: 'RUNNING' });
    const e = agent.agent.executors.get('fw-1', 'sd');
    master.send({ type: 'SHUTDOWN_FRAMEWORK', shutdown_framework: { framework_id: { value: 'fw-1' } } });
    await waitFor(() => e?.phase === 'terminated', { what: 'executor ended' });
    expect(readFileSync(join(e?.sandbox ?? '', 'events.log'), 'utf8')).toMatch(/^SHUTDOWN/m);
    expect(e?.exit).toEqual({ kind: 'exited', code: 0 });
    expect(master.statesOf('s1')).toEqual(['TASK_RUNNING']);
    expect(agent.agent.frameworks.has('fw-1')).toBe(false);
  });

  it('fails the tasks of an executor that cannot be launched (REASON_CONTAINER_LAUNCH_FAILED)', async () => {
    agent = await startAgent(flags());
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    const ev = runExecutorTask('u1', 'nofetch', 'run');
    if (ev.type === 'RUN_TASK' && ev.run_task.task.executor?.command) ev.run_task.task.executor.command.uris = [{ value: join(workDir, 'missing.tgz') }];
    master.send(ev);
    await waitFor(() => master.statesOf('u1').includes('TASK_FAILED'), { what: 'TASK_FAILED' });
    const failed = master.updates.find((u) => u.status.task_id.value === 'u1');
    expect(failed?.status.reason).toBe('REASON_CONTAINER_LAUNCH_FAILED');
    expect(failed?.status.message).toMatch(/^Failed to launch executor/);
    expect(agent.agent.executors.get('fw-1', 'nofetch')).toBeUndefined();
  });

  it('SIGKILLs an executor that ignores SHUTDOWN after ExecutorInfo.shutdown_grace_period', async () => {
    agent = await startAgent(flags());
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    const ev = runExecutorTask('i1', 'stubborn', 'run', { ECHO_MODE: 'ignore-shutdown' });
    if (ev.type === 'RUN_TASK' && ev.run_task.task.executor) ev.run_task.task.executor.shutdown_grace_period = { nanoseconds: 300_000_000 };
    master.send(ev);
    await waitFor(() => master.statesOf('i1').includes('TASK_RUNNING'), { what: 'RUNNING' });
    const e = agent.agent.executors.get('fw-1', 'stubborn');
    const t0 = Date.now();
    master.send({ type: 'SHUTDOWN_EXECUTOR', shutdown_executor: { framework_id: { value: 'fw-1' }, executor_id: { value: 'stubborn' } } });
    await waitFor(() => master.statesOf('i1').includes('TASK_FAILED'), { what: 'TASK_FAILED' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(e?.exit).toEqual({ kind: 'signaled', signal: 'SIGKILL' });
    expect(master.updates.find((u) => u.status.task_id.value === 'i1' && u.status.state === 'TASK_FAILED')?.status.reason).toBe('REASON_EXECUTOR_TERMINATED');
  });
});
