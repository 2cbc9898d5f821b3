import { killPids, pidsUsingPath } from '../../helpers/proc.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, type RunningAgent } from '../../../src/agent/index.js';
import { FakeMaster, runTask } from './fake-master.js';
import { waitFor } from '../../helpers/wait.js';

let master: FakeMaster;
let agent: RunningAgent | undefined;
let workDir: string;

function flags(extra: Record<string, unknown> = {}): Record<string, string | number> {
  return {
    port: 0,
    ip: '127.0.0.1',
    master: master.address,
    work_dir: workDir,
    resources: 'cpus:2;mem:1024;disk:1000;ports:[31000-31010]',
    status_update_retry_interval: 200,
    registration_backoff_factor: 20,
    executor_shutdown_grace_period: 1000,
    max_completed_executors_per_framework: 150,
    ...extra,
  };
}

beforeEach(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'agora-agent-'));
  master = new FakeMaster();
  await master.start();
});

afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  await master.stop();
  // Tasks outlive a stopped agent by design; a test that failed midway must not leave them running.
  killPids(pidsUsingPath(workDir));
  rmSync(workDir, { recursive: true, force: true });
});

describe('agent with a master', () => {
  it('registers, runs a command task and reports STARTING, RUNNING, FAILED with the exit status', async () => {
    agent = await startAgent(flags());
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    expect(master.subscribes[0]?.subscribe?.agent_info.resources?.length).toBeGreaterThan(0);
    master.autoAck = true;
    master.send(runTask('t1', { value: 'echo hello; echo "$MESOS_TASK_ID $MESOS_SLAVE_PID" >&2; exit 3' }));
    await waitFor(() => master.statesOf('t1').includes('TASK_FAILED'), { what: 'TASK_FAILED' });
    expect(master.statesOf('t1')).toEqual(['TASK_STARTING', 'TASK_RUNNING', 'TASK_FAILED']);
    const last = master.updates.at(-1)!;
    expect(last.status.message).toBe('Command exited with status 3');
    expect(last.status.source).toBe('SOURCE_EXECUTOR');
    expect(last.status.executor_id?.value).toBe('t1');
    expect(typeof last.status.uuid).toBe('string');
    const state = (await (await fetch(`${agent.url}/state`)).json()) as { frameworks: { completed_executors: { directory: string }[] }[] };
    const dir = state.frameworks[0]!.completed_executors[0]!.directory;
    expect(readFileSync(join(dir, 'stdout'), 'utf8')).toBe('hello\n');
    expect(readFileSync(join(dir, 'stderr'), 'utf8')).toBe(`t1 slave(1)@127.0.0.1:${agent.port}\n`);
  });

  it('kills a task with TASK_KILLING then TASK_KILLED', async () => {
    agent = await startAgent(flags());
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    master.send(runTask('k1', { value: 'sleep 60' }, {}, { capabilities: [{ type: 'TASK_KILLING_STATE' }] }));
    await waitFor(() => master.statesOf('k1').includes('TASK_RUNNING'), { what: 'running' });
    master.send({ type: 'KILL_TASK', kill_task: { framework_id: { value: 'fw-1' }, task_id: { value: 'k1' } } });
    await waitFor(() => master.statesOf('k1').includes('TASK_KILLED'), { what: 'killed' });
    expect(master.statesOf('k1')).toEqual(['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_KILLED']);
    expect(master.updates.at(-1)?.status.message).toBe('Command terminated with signal SIGTERM');
  });

  it('SIGKILLs a task that ignores SIGTERM after the kill policy grace', async () => {
    agent = await startAgent(flags());
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    master.send(runTask('k2', { value: 'trap "" TERM; while true; do sleep 0.05; done' }, { kill_policy: { grace_period: { nanoseconds: 300_000_000 } } }));
    await waitFor(() => master.statesOf('k2').includes('TASK_RUNNING'), { what: 'running' });
    await new Promise((r) => globalThis.setTimeout(r, 100));
    master.send({ type: 'KILL_TASK', kill_task: { framework_id: { value: 'fw-1' }, task_id: { value: 'k2' } } });
    await waitFor(() => master.statesOf('k2').includes('TASK_KILLED'), { what: 'killed' });
    expect(master.statesOf('k2')).toEqual(['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLED']);
    expect(master.updates.at(-1)?.status.message).toBe('Command terminated with signal SIGKILL');
  });

  it('fails a task whose URI cannot be fetched', async () => {
    agent = await startAgent(flags());
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    master.send(runTask('f1', { value: 'true', uris: [{ value: '/nonexistent/file.tgz' }] }));
    await waitFor(() => master.statesOf('f1').includes('TASK_FAILED'), { what: 'failed' });
    const last = master.updates.at(-1)!.status;
    expect(last.reason).toBe('REASON_CONTAINER_LAUNCH_FAILED');
    expect(last.message).toMatch(/Failed to fetch '\/nonexistent\/file.tgz'/);
  });

  it('answers PING with PONG and re-sends an unacknowledged update after re-registering', async () => {
    agent = await startAgent(flags());
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.send({ type: 'PING' });
    await waitFor(() => master.calls.some((c) => c.type === 'PONG'), { what: 'PONG' });
    master.send(runTask('r1', { value: 'sleep 30' }));
    await waitFor(() => master.statesOf('r1').length >= 1, { what: 'first update' });
    const first = master.updates[0]!.status.uuid;
    const agentId = agent.agent.agentId;
    master.dropStream();
    await waitFor(() => master.subscribes.length === 2, { what: 're-subscription' });
    expect(master.subscribes[1]?.agent_id?.value).toBe(agentId);
    expect(master.subscribes[1]?.subscribe?.tasks?.map((t) => t.task.task_id.value)).toEqual(['r1']);
    await waitFor(() => master.updates.filter((u) => u.status.uuid === first).length >= 2, { what: 're-sent head' });
    master.send({ type: 'SHUTDOWN_FRAMEWORK', shutdown_framework: { framework_id: { value: 'fw-1' } } });
    await waitFor(() => agent?.agent.frameworks.size === 0, { what: 'framework removed' });
  });

  it('recovers tasks after a restart: same id, still-running tasks supervised, exits while down reported', async () => {
    agent = await startAgent(flags());
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    master.send(runTask('live', { value: 'while [ ! -f go ]; do sleep 0.05; done; exit 5' }));
    master.send(runTask('early', { value: 'while [ ! -f go ]; do sleep 0.05; done; exit 0' }));
    await waitFor(() => master.statesOf('live').includes('TASK_RUNNING') && master.statesOf('early').includes('TASK_RUNNING'), { what: 'both running' });
    await waitFor(() => master.updates.length === 4 && [...agent!.agent.allTasks()].every((t) => t.state === 'TASK_RUNNING'), { what: 'acks' });
    const dirs = new Map([...agent.agent.allTasks()].map((t) => [t.task.task_id.value, t.sandbox]));
    const agentId = agent.agent.agentId;
    await agent.stop();
    agent = undefined;
    // While the agent is down, one task finishes.
    writeFileSync(join(dirs.get('early')!, 'go'), '');
    await waitFor(() => existsSync(join(dirs.get('early')!, 'stdout')) && readdirSync(join(workDir, 'meta', 'runs')).some((f) => f.endsWith('.status')), { what: 'exit while down' });
    const before = master.updates.length;
    agent = await startAgent(flags());
    await waitFor(() => agent?.agent.registered, { what: 're-registration' });
    const sub = master.subscribes.at(-1)!;
    expect(sub.agent_id?.value).toBe(agentId);
    expect(sub.subscribe?.tasks?.map((t) => t.task.task_id.value).sort()).toEqual(['early', 'live']);
    expect(sub.subscribe?.frameworks?.map((f) => f.id?.value)).toEqual(['fw-1']);
    await waitFor(() => master.statesOf('early').includes('TASK_FINISHED'), { what: 'finished while down' });
    expect(master.statesOf('live')).not.toContain('TASK_FAILED');
    writeFileSync(join(dirs.get('live')!, 'go'), '');
    await waitFor(() => master.statesOf('live').includes('TASK_FAILED'), { what: 'exit of the recovered task' });
    const fail = master.updates.slice(before).find((u) => u.status.task_id.value === 'live' && u.status.state === 'TASK_FAILED')!;
    expect(fail.status.message).toBe('Command exited with status 5');
    expect(fail.status.agent_id?.value).toBe(agentId);
  });

  it('fails a task that exceeds max_completion_time', async () => {
    agent = await startAgent(flags());
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    master.send(runTask('m1', { value: 'sleep 30' }, { max_completion_time: { nanoseconds: 200_000_000 } }));
    await waitFor(() => master.statesOf('m1').includes('TASK_FAILED'), { what: 'failed' });
    expect(master.updates.at(-1)?.status.reason).toBe('REASON_MAX_COMPLETION_TIME_REACHED');
  });

  it('on SHUTDOWN kills its tasks, forgets its id and stops re-registering', async () => {
    let shutdown = '';
    agent = await startAgent(flags(), { onShutdown: (m) => (shutdown = m) });
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    master.send(runTask('s1', { value: 'sleep 30' }));
    await waitFor(() => master.statesOf('s1').includes('TASK_RUNNING'), { what: 'running' });
    const pid = await waitFor(() => agent?.agent.launcher.taskPid([...agent.agent.allTasks()][0]!.containerId));
    master.send({ type: 'SHUTDOWN', shutdown: { message: 'agent removed' } });
    await waitFor(() => shutdown === 'agent removed', { what: 'onShutdown' });
    await waitFor(() => !existsSync(join(workDir, 'meta', 'slave.json')), { what: 'meta removed' });
    await waitFor(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, { what: 'task killed' });
    await new Promise((r) => globalThis.setTimeout(r, 200));
    expect(master.subscribes).toHaveLength(1);
  });
});
