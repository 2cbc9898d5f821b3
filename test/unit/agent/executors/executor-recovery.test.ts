// Custom executors across an agent restart (same port and work dir): the executor re-subscribes and keeps
// its task; one that does not re-subscribe within --executor_reregistration_timeout is killed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startAgent, type RunningAgent } from '../../../../src/agent/index.js';
import type { AgentEvent } from '../../../../src/api/agora/agent-protocol.js';
import { FakeMaster } from '../fake-master.js';
import { waitFor } from '../../../helpers/wait.js';
import { freePort } from '../../../helpers/ports.js';
import { killPids, pidsUsingPath } from '../../../helpers/proc.js';

// Fetched into the sandbox as frameworks ship executors: the repository may sit under /tmp, which a task's private /tmp hides.
const FIXTURE = resolve('test/fixtures/echo-executor.mjs');
let master: FakeMaster;
let agent: RunningAgent | undefined;
let workDir: string;
let port: number;

const flags = (): Record<string, string | number> => ({
  port,
  master: master.address,
  work_dir: workDir,
  resources: 'cpus:4;mem:4096;disk:1000',
  status_update_retry_interval: 200,
  registration_backoff_factor: 20,
  executor_reregistration_timeout: 1500,
});

function run(tid: string, eid: string, env: Record<string, string> = {}): AgentEvent {
  const res = [{ name: 'cpus', type: 'SCALAR' as const, scalar: { value: 0.1 } }];
  return {
    type: 'RUN_TASK',
    run_task: {
      framework: { id: { value: 'fw-1' }, name: 'test', user: 'root', checkpoint: true },
      task: {
        name: tid,
        task_id: { value: tid },
        agent_id: { value: 'x' },
        resources: res,
        executor: {
          type: 'CUSTOM',
          executor_id: { value: eid },
          command: { value: `${process.execPath} echo-executor.mjs`, uris: [{ value: FIXTURE }], environment: { variables: Object.entries(env).map(([name, value]) => ({ name, value })) } },
          resources: res,
        },
      },
    },
  };
}

beforeEach(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'agora-exrec-'));
  port = await freePort();
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

describe('executor recovery', () => {
  it('re-attaches an executor that re-subscribes after an agent restart', async () => {
    agent = await startAgent(flags());
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    master.send(run('r1', 'echo'));
    await waitFor(() => master.statesOf('r1').includes('TASK_RUNNING'), { what: 'RUNNING' });
    const sandbox = agent.agent.executors.get('fw-1', 'echo')?.sandbox ?? '';
    await agent.stop();
    agent = await startAgent(flags());
    const e = agent.agent.executors.get('fw-1', 'echo');
    expect(e?.recovered).toBe(true);
    await waitFor(() => agent?.agent.registered, { what: 're-registration' });
    await waitFor(() => e?.phase === 'running' && e.session !== undefined && !e.recovered, { what: 'executor re-subscribed' });
    // The executor logs SUBSCRIBED when it reads the event, a moment after the agent sent it.
    const subscribedTwice = (): boolean => (readFileSync(join(sandbox, 'events.log'), 'utf8').match(/^SUBSCRIBED/gm) ?? []).length === 2;
    await waitFor(subscribedTwice, { what: 'the executor to log its second SUBSCRIBED' });
    // The re-registered agent reports the executor and its task.
    const sub = master.subscribes.at(-1)?.subscribe;
    expect(sub?.executors?.map((x) => x.executor.executor_id.value)).toEqual(['echo']);
    expect(sub?.tasks?.find((t) => t.task.task_id.value === 'r1')?.executor_id?.value).toBe('echo');
    master.send({ type: 'KILL_TASK', kill_task: { framework_id: { value: 'fw-1' }, task_id: { value: 'r1' } } });
    await waitFor(() => master.statesOf('r1').includes('TASK_KILLED'), { what: 'TASK_KILLED via the re-attached executor' });
  });

  it('kills an executor that does not re-subscribe in time (REASON_EXECUTOR_REREGISTRATION_TIMEOUT)', async () => {
    agent = await startAgent({ ...flags(), executor_registration_timeout: 60_000 });
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    master.send(run('m1', 'mute', { ECHO_MODE: 'never-subscribe' }));
    await waitFor(() => agent?.agent.executors.get('fw-1', 'mute')?.phase === 'registering', { what: 'executor spawned' });
    await agent.stop();
    agent = await startAgent(flags());
    await waitFor(() => master.statesOf('m1').includes('TASK_FAILED'), { what: 'TASK_FAILED', timeoutMs: 10_000 });
    expect(master.updates.find((u) => u.status.task_id.value === 'm1' && u.status.state === 'TASK_FAILED')?.status.reason).toBe('REASON_EXECUTOR_REREGISTRATION_TIMEOUT');
  });
});
