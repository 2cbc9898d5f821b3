// Acceptance (issue 3): custom executors over the raw v1 executor API, framework messages both ways,
// re-sent unacknowledged updates, executor exit / registration timeout, and a task group of three under
// the default executor — through real master and agent daemons.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { useCleanup } from '../helpers/cleanup.js';
import { REPO_ROOT, openFramework, scalar, startCluster, subscribeCall, waitFor, type Cluster, type Subscription, type WireOffer } from '../helpers/index.js';

useCleanup({ perTest: false });

// Fetched into the sandbox as frameworks ship executors: the repository may sit under /tmp, which a task's private /tmp hides.
const FIXTURE = resolve(REPO_ROOT, 'test/fixtures/echo-executor.mjs');
const EXEC_RES = [scalar('cpus', 0.1), scalar('mem', 32), scalar('disk', 16)];
let cluster: Cluster;
let agentId = '';

beforeAll(async () => {
  cluster = await startCluster({ agents: 1, resources: 'cpus:8;mem:8192;disk:4096;ports:[31000-31100]', agentFlags: { executor_registration_timeout: '1secs' } });
  agentId = cluster.agentIds[0] ?? '';
}, 30_000);

function executor(eid: string, env: Record<string, string> = {}): Record<string, unknown> {
  return {
    type: 'CUSTOM',
    executor_id: { value: eid },
    name: `echo executor ${eid}`,
    command: { value: `${process.execPath} echo-executor.mjs`, uris: [{ value: FIXTURE }], environment: { variables: Object.entries(env).map(([name, value]) => ({ name, value })) } },
    resources: EXEC_RES,
  };
}

function executorTask(id: string, eid: string, mode: string, env: Record<string, string> = {}): Record<string, unknown> {
  return { name: id, task_id: { value: id }, agent_id: { value: agentId }, resources: [scalar('cpus', 0.1), scalar('mem', 32)], executor: executor(eid, env), data: Buffer.from(mode).toString('base64') };
}

async function launch(s: Subscription, ops: unknown[]): Promise<WireOffer> {
  const offer = await s.takeOffer();
  const r = await s.call({ framework_id: { value: s.frameworkId }, type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: ops, filters: { refuse_seconds: 0 } } });
  expect(r.status).toBe(202);
  return offer;
}

describe('acceptance: executors and task groups', () => {
  it('a custom executor runs two tasks, exchanges framework messages, and unacked updates are re-sent after re-subscription', async () => {
    const first = await openFramework(cluster.master.url, subscribeCall({ name: 'it-l-exec', failoverTimeoutSecs: 3600, checkpoint: true }));
    const fid = first.frameworkId;
    await launch(first, [{ type: 'LAUNCH', launch: { task_infos: [executorTask('e1', 'echo', 'finish'), executorTask('e2', 'echo', 'run')] } }]);
    const r1 = await first.waitUpdate('e1', 'TASK_RUNNING', { timeoutMs: 15_000 });
    const r2 = await first.waitUpdate('e2', 'TASK_RUNNING', { timeoutMs: 15_000 });
    expect(r1.source).toBe('SOURCE_EXECUTOR');
    expect(r2.executor_id?.value).toBe('echo');
    // Scheduler → executor → scheduler.
    const m = await first.call({ framework_id: { value: fid }, type: 'MESSAGE', message: { agent_id: { value: agentId }, executor_id: { value: 'echo' }, data: Buffer.from('hello').toString('base64') } });
    expect(m.status).toBe(202);
    const back = await first.waitEvent((e) => e.type === 'MESSAGE', { timeoutMs: 10_000, what: 'MESSAGE from the executor' });
    const msg = back.message as { agent_id: { value: string }; executor_id: { value: string }; data: string };
    expect(Buffer.from(msg.data, 'base64').toString()).toBe('echo:hello');
    expect(msg.executor_id.value).toBe('echo');
    expect(msg.agent_id.value).toBe(agentId);
    // Nothing acknowledged yet: drop the scheduler. A new subscription gets e1's RUNNING again (same uuid).
    first.close();
    const second = await openFramework(cluster.master.url, subscribeCall({ name: 'it-l-exec', id: fid, failoverTimeoutSecs: 3600, checkpoint: true }), { autoAck: true });
    const again = await second.waitEvent((e) => e.type === 'UPDATE' && e.update?.status.uuid === r1.uuid, { timeoutMs: 15_000, what: `re-sent ${r1.uuid}` });
    expect(again.update?.status.state).toBe('TASK_RUNNING');
    // Acknowledged, the queue moves on: e1's FINISHED (sent by the executor long ago) follows.
    await second.waitUpdate('e1', 'TASK_FINISHED', { timeoutMs: 15_000 });
    await second.waitUpdate('e2', 'TASK_RUNNING', { timeoutMs: 15_000 });
    // The executor got ACKNOWLEDGED for its updates (it logs every event to events.log in its sandbox).
    const state = (await (await fetch(`${cluster.agents[0]?.url}/state`)).json()) as { frameworks: { id: string; executors: { id: string; type: string; directory: string }[] }[] };
    const ex = state.frameworks.find((f) => f.id === fid)?.executors.find((e) => e.id === 'echo');
    expect(ex?.type).toBe('CUSTOM');
    const log = (): string => readFileSync(join(ex?.directory ?? '', 'events.log'), 'utf8');
    await waitFor(() => (log().match(/^ACKNOWLEDGED/gm) ?? []).length >= 3, { timeoutMs: 10_000, what: 'ACKNOWLEDGED events at the executor' });
    expect((log().match(/^LAUNCH /gm) ?? []).length).toBe(2);
    expect((log().match(/^SUBSCRIBED/gm) ?? []).length).toBe(1);
    // Killing e2 goes through the executor (TASK_KILLED from it).
    expect((await second.kill('e2', agentId)).status).toBe(202);
    const killed = await second.waitUpdate('e2', 'TASK_KILLED', { timeoutMs: 10_000 });
    expect(killed.source).toBe('SOURCE_EXECUTOR');
    second.close();
  }, 30_000);

  it('an executor that exits fails its running task (REASON_EXECUTOR_TERMINATED); one that never subscribes is killed', async () => {
    const s = await openFramework(cluster.master.url, subscribeCall({ name: 'it-l-exit', checkpoint: true }), { autoAck: true });
    await launch(s, [
      { type: 'LAUNCH', launch: { task_infos: [executorTask('x1', 'dies', 'exit'), executorTask('q1', 'mute', 'run', { ECHO_MODE: 'never-subscribe' })] } },
    ]);
    const failed = await s.waitUpdate('x1', 'TASK_FAILED', { timeoutMs: 15_000 });
    expect(failed.reason).toBe('REASON_EXECUTOR_TERMINATED');
    expect(s.updates('x1').map((u) => u.state)).toEqual(['TASK_RUNNING', 'TASK_FAILED']);
    const failure = await s.waitEvent((e) => e.type === 'FAILURE' && e.failure?.executor_id?.value === 'dies', { timeoutMs: 10_000, what: 'FAILURE for the executor' });
    expect(failure.failure?.agent_id?.value).toBe(agentId);
    const timedOut = await s.waitUpdate('q1', 'TASK_FAILED', { timeoutMs: 15_000 });
    expect(timedOut.reason).toBe('REASON_EXECUTOR_REGISTRATION_TIMEOUT');
    s.close();
  }, 30_000);

  it('a task group of three launches together; killing one ends the others', async () => {
    const s = await openFramework(cluster.master.url, subscribeCall({ name: 'it-l-group', checkpoint: true }), { autoAck: true });
    const tasks = ['g1', 'g2', 'g3'].map((id) => ({ name: id, task_id: { value: id }, agent_id: { value: agentId }, resources: [scalar('cpus', 0.1), scalar('mem', 32)], command: { value: 'sleep 60' } }));
    await launch(s, [{ type: 'LAUNCH_GROUP', launch_group: { executor: { type: 'DEFAULT', executor_id: { value: 'grp' }, resources: EXEC_RES }, task_group: { tasks } } }]);
    for (const id of ['g1', 'g2', 'g3']) {
      const running = await s.waitUpdate(id, 'TASK_RUNNING', { timeoutMs: 15_000 });
      expect(running.executor_id?.value).toBe('grp');
    }
    expect((await s.kill('g2', agentId)).status).toBe(202);
    for (const id of ['g1', 'g2', 'g3']) await s.waitUpdate(id, 'TASK_KILLED', { timeoutMs: 15_000 });
    const tasksJson = (await (await fetch(`${cluster.master.url}/master/tasks`)).json()) as { tasks: { id: string; executor_id: string; state: string }[] };
    const g = tasksJson.tasks.filter((t) => t.id.startsWith('g'));
    expect(g.map((t) => t.executor_id)).toEqual(['grp', 'grp', 'grp']);
    s.close();
  }, 30_000);
});
