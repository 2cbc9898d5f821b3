import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../../src/coordination/index.js';
import { FakeAgent, Scheduler, frameworkInfo, launch, startHarness, waitFor, type Harness } from './harness.js';

const open: Harness[] = [];
async function harness(flags: Record<string, string> = {}, store?: SqliteStore): Promise<Harness> {
  const h = await startHarness(flags, store);
  open.push(h);
  return h;
}
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function launched(h: Harness, info = frameworkInfo()): Promise<{ agent: FakeAgent; s: Scheduler }> {
  const agent = await FakeAgent.subscribe(h);
  const s = await Scheduler.subscribe(h, info);
  await h.clock.advance(1000);
  const o = await waitFor(() => s.offers()[0], 'offer');
  await s.call('ACCEPT', launch(o, 't1'));
  await waitFor(() => agent.runTasks().length === 1, 'RUN_TASK');
  await agent.status(s.frameworkId, 't1', 'TASK_RUNNING', Buffer.alloc(16, 3).toString('base64'));
  await s.stream.next('UPDATE');
  return { agent, s };
}

function statusOf(e: Record<string, unknown> | undefined): Record<string, unknown> {
  return (e?.['update'] as { status: Record<string, unknown> }).status;
}

describe('agent health', () => {
  it('PING every agent_ping_timeout; missed pongs make the agent unreachable: TASK_LOST for non-partition-aware', async () => {
    const h = await harness({ agent_ping_timeout: '1secs', max_agent_ping_timeouts: '3' });
    const { agent, s } = await launched(h);
    await h.clock.advance(1000);
    await agent.stream.next('PING');
    expect((await agent.call('PONG')).status).toBe(202);
    await h.clock.advance(1000);
    expect(h.master.agents.get(agent.agentId as never)?.state).toBe('registered');
    await h.clock.advance(3000);
    await waitFor(() => h.master.agents.get(agent.agentId as never)?.state === 'unreachable', 'unreachable');
    const up = await s.stream.next('UPDATE', 2);
    expect(statusOf(up)).toMatchObject({ state: 'TASK_LOST', reason: 'REASON_AGENT_REMOVED', source: 'SOURCE_MASTER' });
    expect(statusOf(up)['uuid']).toBeUndefined();
    const failure = await s.stream.next('FAILURE');
    expect(failure['failure']).toEqual({ agent_id: { value: agent.agentId } });
    expect(h.master.frameworks.get(s.frameworkId as never)?.unreachableTasks.has('t1' as never)).toBe(true);
  });
  it('TASK_UNREACHABLE with unreachable_time for PARTITION_AWARE; re-registration sends REASON_AGENT_REREGISTERED', async () => {
    const h = await harness({ agent_ping_timeout: '1secs', max_agent_ping_timeouts: '2' });
    const { agent, s } = await launched(h, frameworkInfo({ capabilities: [{ type: 'PARTITION_AWARE' }], checkpoint: true }));
    agent.stream.close();
    await waitFor(() => h.master.agents.get(agent.agentId as never)?.state === 'disconnected', 'disconnected');
    await h.clock.advance(3000);
    const up = await s.stream.next('UPDATE', 2);
    expect(statusOf(up)).toMatchObject({ state: 'TASK_UNREACHABLE', reason: 'REASON_AGENT_REMOVED' });
    expect(statusOf(up)['unreachable_time']).toBeDefined();
    // Explicit reconciliation of an unknown task on the unreachable agent.
    await s.call('RECONCILE', { reconcile: { tasks: [{ task_id: { value: 'other' }, agent_id: { value: agent.agentId } }] } });
    expect(statusOf(await s.stream.next('UPDATE', 3))).toMatchObject({ state: 'TASK_UNREACHABLE', message: 'Reconciliation: Task is unreachable' });
    const again = await FakeAgent.subscribe(h, {
      agentId: agent.agentId,
      frameworks: [frameworkInfo({ id: { value: s.frameworkId } })],
      tasks: [{ framework_id: { value: s.frameworkId }, task: agent.runTasks()[0]?.task, state: 'TASK_RUNNING' }],
    });
    expect(again.agentId).toBe(agent.agentId);
    expect(statusOf(await s.stream.next('UPDATE', 4))).toMatchObject({ state: 'TASK_RUNNING', reason: 'REASON_AGENT_REREGISTERED' });
    expect(h.master.frameworks.get(s.frameworkId as never)?.tasks.get('t1' as never)?.state).toBe('TASK_RUNNING');
  });
  it('a new agent id at a known agent\'s address (a reboot) removes the old agent: its tasks are TASK_GONE at once', async () => {
    const h = await harness();
    const { agent, s } = await launched(h, frameworkInfo({ capabilities: [{ type: 'PARTITION_AWARE' }], checkpoint: true }));
    agent.stream.close();
    await waitFor(() => h.master.agents.get(agent.agentId as never)?.state === 'disconnected', 'disconnected');
    const rebooted = await FakeAgent.subscribe(h, { port: 5051 });
    expect(rebooted.agentId).not.toBe(agent.agentId);
    const gone = statusOf(await s.stream.next('UPDATE', 2));
    expect(gone).toMatchObject({ state: 'TASK_GONE', reason: 'REASON_AGENT_REMOVED', source: 'SOURCE_MASTER' });
    expect(String(gone['message'])).toMatch(/replaced by agent/);
    expect(h.master.agents.has(agent.agentId as never)).toBe(false);
    expect([...h.master.agents.keys()]).toEqual([rebooted.agentId]);
    // A second agent at another address is not affected.
    const other = await FakeAgent.subscribe(h, { port: 5099 });
    expect(h.master.agents.has(other.agentId as never)).toBe(true);
    expect(h.master.agents.has(rebooted.agentId as never)).toBe(true);
  });
  it('tasks of non-checkpointing frameworks are TASK_LOST REASON_AGENT_DISCONNECTED when the agent disconnects', async () => {
    const h = await harness();
    const { agent, s } = await launched(h);
    agent.stream.close();
    expect(statusOf(await s.stream.next('UPDATE', 2))).toMatchObject({ state: 'TASK_LOST', reason: 'REASON_AGENT_DISCONNECTED' });
  });
  it('403 AGENT_NOT_SUBSCRIBED for a stale agent stream id', async () => {
    const h = await harness();
    const agent = await FakeAgent.subscribe(h);
    const r = await agent.h.app.inject({
      method: 'POST',
      url: '/agora/api/v1/agent',
      headers: { 'content-type': 'application/json', 'agora-stream-id': 'stale' },
      payload: JSON.stringify({ type: 'PONG', agent_id: { value: agent.agentId } }),
    });
    expect(r.statusCode).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'AGENT_NOT_SUBSCRIBED' });
  });
});

describe('reconciliation (spec §6.7)', () => {
  it('implicit answers every tracked task with its latest state and no uuid', async () => {
    const h = await harness();
    const { s } = await launched(h);
    await s.call('RECONCILE', { reconcile: { tasks: [] } });
    const st = statusOf(await s.stream.next('UPDATE', 2));
    expect(st).toMatchObject({ task_id: { value: 't1' }, state: 'TASK_RUNNING', reason: 'REASON_RECONCILIATION', source: 'SOURCE_MASTER', message: 'Reconciliation: Latest task state' });
    expect(st['uuid']).toBeUndefined();
  });
  it('explicit answers per the table', async () => {
    const h = await harness();
    const { agent, s } = await launched(h, frameworkInfo({ capabilities: [{ type: 'PARTITION_AWARE' }] }));
    await s.call('RECONCILE', {
      reconcile: {
        tasks: [
          { task_id: { value: 't1' }, agent_id: { value: agent.agentId } },
          { task_id: { value: 'x' }, agent_id: { value: agent.agentId } },
          { task_id: { value: 'y' }, agent_id: { value: 'unknown-agent' } },
          { task_id: { value: 'z' } },
        ],
      },
    });
    await s.stream.next('UPDATE', 5);
    const answers = s.updates().slice(1).map((u) => [u.task_id.value, u.state, u.message]);
    expect(answers).toEqual([
      ['t1', 'TASK_RUNNING', 'Reconciliation: Latest task state'],
      ['x', 'TASK_GONE', 'Reconciliation: Task is unknown to the agent'],
      ['y', 'TASK_UNKNOWN', 'Reconciliation: Task is unknown'],
      ['z', 'TASK_UNKNOWN', 'Reconciliation: Task is unknown'],
    ]);
  });
});

describe('registry recovery', () => {
  it('a second master on the same SQLite file knows the agents (recovered) and the frameworks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agora-master-'));
    try {
      const store1 = new SqliteStore(join(dir, 'registry.db'));
      const h1 = await harness({ agent_reregister_timeout: '10mins' }, store1);
      const { agent, s } = await launched(h1, frameworkInfo({ failover_timeout: 3600, checkpoint: true }));
      const task = agent.runTasks()[0]?.task;
      await h1.close();
      open.splice(open.indexOf(h1), 1);
      await store1.close();

      const store2 = new SqliteStore(join(dir, 'registry.db'));
      const h2 = await harness({ agent_reregister_timeout: '10mins' }, store2);
      expect(h2.master.agents.get(agent.agentId as never)?.state).toBe('recovered');
      const state = await h2.app.inject({ method: 'GET', url: '/master/state' });
      expect((JSON.parse(state.body) as { recovered_slaves: { id: string }[] }).recovered_slaves.map((a) => a.id)).toEqual([agent.agentId]);
      // An explicit reconciliation gets no answer while agents are recovering.
      const again = await FakeAgent.subscribe(h2, {
        agentId: agent.agentId,
        frameworks: [frameworkInfo({ id: { value: s.frameworkId }, failover_timeout: 3600, checkpoint: true })],
        tasks: [{ framework_id: { value: s.frameworkId }, task, state: 'TASK_RUNNING' }],
      });
      expect(again.agentId).toBe(agent.agentId);
      const fw = h2.master.frameworks.get(s.frameworkId as never);
      expect(fw?.recovered).toBe(true);
      expect(fw?.tasks.get('t1' as never)?.state).toBe('TASK_RUNNING');
      const s2 = await Scheduler.subscribe(h2, frameworkInfo({ id: { value: s.frameworkId }, failover_timeout: 3600, checkpoint: true }));
      expect(s2.frameworkId).toBe(s.frameworkId);
      expect(h2.master.frameworks.get(s.frameworkId as never)?.recovered).toBe(false);
      s2.stream.close();
      await store2.close().catch(() => undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('recovered agents that do not re-register within agent_reregister_timeout become unreachable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agora-master-'));
    try {
      const store1 = new SqliteStore(join(dir, 'registry.db'));
      const h1 = await harness({}, store1);
      const agent = await FakeAgent.subscribe(h1);
      await h1.close();
      open.splice(open.indexOf(h1), 1);
      await store1.close();
      const store2 = new SqliteStore(join(dir, 'registry.db'));
      const h2 = await harness({ agent_reregister_timeout: '10mins' }, store2);
      await h2.clock.advance(600_000);
      expect(h2.master.agents.get(agent.agentId as never)?.state).toBe('unreachable');
      const m = JSON.parse((await h2.app.inject({ method: 'GET', url: '/metrics/snapshot' })).body) as Record<string, number>;
      expect(m['master/slaves_unreachable']).toBe(1);
      await h2.close();
      open.splice(open.indexOf(h2), 1);
      await store2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('agent protocol bad input and kills', () => {
  it('answers 400 text for malformed agent calls and keeps serving', async () => {
    const h = await harness();
    const agent = await FakeAgent.subscribe(h);
    const send = (payload: string) =>
      h.app.inject({ method: 'POST', url: '/agora/api/v1/agent', headers: { 'content-type': 'application/json', 'agora-stream-id': agent.stream.streamId }, payload });
    expect((await send('{')).statusCode).toBe(400);
    expect((await send('{"type":"PONG"}')).body).toBe("Expecting 'agent_id' to be present");
    expect((await send('{"type":"BOGUS","agent_id":{"value":"x"}}')).statusCode).toBe(400);
    expect((await send(JSON.stringify({ type: 'STATUS_UPDATE', agent_id: { value: agent.agentId } }))).statusCode).toBe(400);
    expect((await h.app.inject({ method: 'GET', url: '/agora/api/v1/agent' })).statusCode).toBe(405);
    expect((await agent.call('PONG')).status).toBe(202);
  });
  it('a KILL that cannot reach a disconnected agent is re-sent when it re-registers', async () => {
    const h = await harness();
    const { agent, s } = await launched(h, frameworkInfo({ checkpoint: true }));
    agent.stream.close();
    await waitFor(() => h.master.agents.get(agent.agentId as never)?.state === 'disconnected', 'disconnected');
    await s.call('KILL', { kill: { task_id: { value: 't1' } } });
    const again = await FakeAgent.subscribe(h, {
      agentId: agent.agentId,
      tasks: [{ framework_id: { value: s.frameworkId }, task: agent.runTasks()[0]?.task, state: 'TASK_RUNNING' }],
    });
    const k = await again.stream.next('KILL_TASK');
    expect(k['kill_task']).toMatchObject({ task_id: { value: 't1' } });
  });
});

describe('agent UNREGISTER', () => {
  it('removes the agent: TASK_GONE for partition-aware frameworks, FAILURE, and the registry forgets it', async () => {
    const h = await harness();
    const { agent, s } = await launched(h, frameworkInfo({ capabilities: [{ type: 'PARTITION_AWARE' }] }));
    expect((await agent.call('UNREGISTER')).status).toBe(202);
    expect(statusOf(await s.stream.next('UPDATE', 2))).toMatchObject({ state: 'TASK_GONE', reason: 'REASON_AGENT_REMOVED' });
    await s.stream.next('FAILURE');
    expect(h.master.agents.has(agent.agentId as never)).toBe(false);
    await h.master.registry.drain();
    expect(await h.store.list('master/registry/agents/')).toEqual([]);
  });
});
