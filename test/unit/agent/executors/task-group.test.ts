// Task groups under the built-in default executor (real processes, fake master): tasks start together in
// `<executor sandbox>/tasks/<id>`, a KILL of one kills the group, a failing task kills the rest.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, type RunningAgent } from '../../../../src/agent/index.js';
import type { AgentEvent } from '../../../../src/api/agora/agent-protocol.js';
import { FakeMaster } from '../fake-master.js';
import { waitFor } from '../../../helpers/wait.js';
import { killPids, pidsUsingPath } from '../../../helpers/proc.js';

let master: FakeMaster;
let agent: RunningAgent | undefined;
let workDir: string;

const RES = [
  { name: 'cpus', type: 'SCALAR' as const, scalar: { value: 0.1 } },
  { name: 'mem', type: 'SCALAR' as const, scalar: { value: 32 } },
];

function group(eid: string, tasks: { id: string; cmd: string; grace?: number; extra?: Record<string, unknown> }[]): AgentEvent {
  return {
    type: 'RUN_TASK_GROUP',
    run_task_group: {
      framework: { id: { value: 'fw-1' }, name: 'test', user: 'root', checkpoint: true },
      executor: { type: 'DEFAULT', executor_id: { value: eid }, framework_id: { value: 'fw-1' }, resources: [...RES, { name: 'disk', type: 'SCALAR', scalar: { value: 32 } }] },
      task_group: {
        tasks: tasks.map((t) => ({
          name: t.id,
          task_id: { value: t.id },
          agent_id: { value: 'x' },
          resources: RES,
          command: { value: t.cmd },
          ...(t.grace !== undefined ? { kill_policy: { grace_period: { nanoseconds: t.grace * 1e6 } } } : {}),
          ...t.extra,
        })),
      },
    },
  };
}

beforeEach(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'agora-group-'));
  master = new FakeMaster();
  await master.start();
  agent = await startAgent({ port: 0, master: master.address, work_dir: workDir, resources: 'cpus:4;mem:4096;disk:1000', status_update_retry_interval: 200, registration_backoff_factor: 20 });
  await waitFor(() => agent?.agent.registered, { what: 'registration' });
  master.autoAck = true;
});

afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  await master.stop();
  killPids(pidsUsingPath(workDir));
  rmSync(workDir, { recursive: true, force: true });
});

const running = (ids: string[]) => ids.every((id) => master.statesOf(id).includes('TASK_RUNNING'));

describe('task groups (default executor)', () => {
  it('runs the tasks together in per-task sandboxes below the executor sandbox; killing one kills the group', async () => {
    master.send(group('ex-g', [
      { id: 'a', cmd: 'echo $MESOS_SANDBOX > where; sleep 60' },
      { id: 'b', cmd: 'sleep 60' },
      { id: 'c', cmd: 'trap "" TERM; sleep 60', grace: 200 },
    ]));
    await waitFor(() => running(['a', 'b', 'c']), { what: 'all three RUNNING' });
    const e = agent?.agent.executors.get('fw-1', 'ex-g');
    expect(e?.kind).toBe('default');
    const taskDir = join(e?.sandbox ?? '', 'tasks', 'a');
    await waitFor(() => existsSync(join(taskDir, 'where')), { what: 'task a output' });
    expect(readFileSync(join(taskDir, 'where'), 'utf8').trim()).toBe(taskDir);
    const state = (await (await fetch(`${agent?.url}/state`)).json()) as { frameworks: { executors: { id: string; type: string; directory: string; tasks: { id: string; executor_id: string }[] }[] }[] };
    const ex = state.frameworks[0]?.executors.find((x) => x.id === 'ex-g');
    expect(ex?.type).toBe('DEFAULT');
    expect(ex?.directory).toBe(e?.sandbox);
    expect(ex?.tasks.map((t) => t.id).sort()).toEqual(['a', 'b', 'c']);
    expect(ex?.tasks[0]?.executor_id).toBe('ex-g');
    const st = master.updates.find((u) => u.status.task_id.value === 'b' && u.status.state === 'TASK_RUNNING');
    expect(st?.status.executor_id?.value).toBe('ex-g');
    // Re-registering, the agent reports the group's tasks with the group's executor.
    const subscribes = master.subscribes.length;
    master.dropStream();
    await waitFor(() => master.subscribes.length > subscribes, { what: 're-registration' });
    const reported = master.subscribes.at(-1)?.subscribe?.tasks ?? [];
    expect(reported.filter((r) => r.executor_id?.value === 'ex-g').map((r) => r.task.executor?.executor_id.value)).toEqual(['ex-g', 'ex-g', 'ex-g']);
    expect(master.subscribes.at(-1)?.subscribe?.executors?.map((x) => x.executor.executor_id.value)).toEqual(['ex-g']);
    master.send({ type: 'KILL_TASK', kill_task: { framework_id: { value: 'fw-1' }, task_id: { value: 'b' } } });
    await waitFor(() => ['a', 'b', 'c'].every((id) => master.statesOf(id).includes('TASK_KILLED')), { what: 'whole group killed' });
    // c ignores SIGTERM: its own kill policy (200 ms) ends it with SIGKILL.
    expect(master.updates.find((u) => u.status.task_id.value === 'c' && u.status.state === 'TASK_KILLED')?.status.message).toBe('Command terminated with signal SIGKILL');
    const exited = await waitFor(() => master.calls.find((c) => c.type === 'EXITED_EXECUTOR'), { what: 'EXITED_EXECUTOR' });
    expect(exited.exited_executor?.executor_id.value).toBe('ex-g');
  });

  it('kills the rest of the group when one task fails; a finished task does not', async () => {
    master.send(group('ex-f', [
      { id: 'ok', cmd: 'true' },
      { id: 'bad', cmd: 'sleep 0.5; exit 2' },
      { id: 'long', cmd: 'sleep 60' },
    ]));
    await waitFor(() => master.statesOf('ok').includes('TASK_FINISHED'), { what: 'ok finished' });
    expect(master.statesOf('long')).not.toContain('TASK_KILLED');
    await waitFor(() => master.statesOf('bad').includes('TASK_FAILED'), { what: 'bad failed' });
    await waitFor(() => master.statesOf('long').includes('TASK_KILLED'), { what: 'long killed' });
  });

  it('runs health checks per task: an unhealthy task is killed and takes its group down', async () => {
    const check = { type: 'COMMAND', command: { value: 'exit 1' }, delay_seconds: 0, interval_seconds: 0.2, timeout_seconds: 2, grace_period_seconds: 0, consecutive_failures: 1 };
    master.send(group('ex-h', [
      { id: 'sick', cmd: 'sleep 60', extra: { health_check: check } },
      { id: 'fine', cmd: 'sleep 60' },
    ]));
    await waitFor(() => master.statesOf('fine').includes('TASK_KILLED') && master.statesOf('sick').includes('TASK_KILLED'), { what: 'group killed after a failed health check', timeoutMs: 15_000 });
    const last = master.updates.filter((u) => u.status.task_id.value === 'sick').at(-1);
    expect(last?.status.healthy).toBe(false);
  });
});
