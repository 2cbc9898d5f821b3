import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAgent, Scheduler, cpusMem, frameworkInfo, launch, startHarness, waitFor, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

async function setup(info = frameworkInfo()): Promise<{ agent: FakeAgent; s: Scheduler }> {
  const agent = await FakeAgent.subscribe(h);
  const s = await Scheduler.subscribe(h, info);
  await h.clock.advance(1000);
  await waitFor(() => s.offers().length > 0, 'first offer');
  return { agent, s };
}

describe('offers', () => {
  it('single-role offers have role "*", no allocation_info, url.address.ip, hostname and attributes', async () => {
    const { agent, s } = await setup();
    const o = s.offers()[0];
    expect(o).toBeDefined();
    expect(o?.['allocation_info']).toBeUndefined();
    expect(o?.agent_id.value).toBe(agent.agentId);
    expect(o?.['hostname']).toBe('127.0.0.1');
    expect(o?.['url']).toEqual({ scheme: 'http', address: { hostname: '127.0.0.1', ip: '127.0.0.1', port: 5051 }, path: '/slave(1)' });
    expect(o?.['attributes']).toEqual([{ name: 'rack', type: 'TEXT', text: { value: 'r1' } }]);
    for (const r of o?.resources as { role?: string; allocation_info?: unknown }[]) {
      expect(r.role).toBe('*');
      expect(r.allocation_info).toBeUndefined();
    }
    expect(agent.agentId).toBe(`${h.master.masterId}-S0`);
    expect(o?.id.value).toMatch(new RegExp(`^${h.master.masterId}-O\\d+$`));
  });
  it('MULTI_ROLE frameworks get allocation_info on the offer and resources', async () => {
    const { s } = await setup(frameworkInfo({ roles: ['dev'], capabilities: [{ type: 'MULTI_ROLE' }] }));
    const o = s.offers()[0];
    expect(o?.['allocation_info']).toEqual({ role: 'dev' });
    for (const r of o?.resources as { allocation_info?: unknown }[]) expect(r.allocation_info).toEqual({ role: 'dev' });
  });
  it('offers go to two frameworks (one agent each, or shared across cycles)', async () => {
    await FakeAgent.subscribe(h);
    await FakeAgent.subscribe(h);
    const a = await Scheduler.subscribe(h, frameworkInfo({ name: 'a' }));
    const b = await Scheduler.subscribe(h, frameworkInfo({ name: 'b' }));
    await h.clock.advance(1000);
    await waitFor(() => a.offers().length > 0 && b.offers().length > 0, 'offers to both');
    const agentsA = new Set(a.offers().map((o) => o.agent_id.value));
    const agentsB = new Set(b.offers().map((o) => o.agent_id.value));
    for (const x of agentsA) expect(agentsB.has(x)).toBe(false);
  });
  it('DECLINE filter is respected until refuse_seconds, then the agent is re-offered', async () => {
    const { s } = await setup();
    const o = s.offers()[0];
    expect((await s.call('DECLINE', { decline: { offer_ids: [o?.id], filters: { refuse_seconds: 10 } } })).status).toBe(202);
    await h.clock.advance(5000);
    expect(s.offers()).toHaveLength(1);
    await h.clock.advance(6000);
    await waitFor(() => s.offers().length === 2, 'offer after filter expiry');
  });
  it('SUPPRESS stops offers and REVIVE brings them back at once', async () => {
    const { s } = await setup();
    await s.call('SUPPRESS');
    await s.call('DECLINE', { decline: { offer_ids: [s.offers()[0]?.id], filters: { refuse_seconds: 0 } } });
    await h.clock.advance(3000);
    expect(s.offers()).toHaveLength(1);
    await s.call('REVIVE');
    await h.clock.settle();
    await waitFor(() => s.offers().length === 2, 'offer after revive');
  });
  it('offer_timeout rescinds unanswered offers', async () => {
    await h.close();
    h = await startHarness({ offer_timeout: '3secs' });
    const { s } = await setup();
    await h.clock.advance(3000);
    const r = await s.stream.next('RESCIND');
    expect((r['rescind'] as { offer_id: { value: string } }).offer_id).toEqual(s.offers()[0]?.id);
  });
});

describe('ACCEPT / LAUNCH', () => {
  it('launches a task: RUN_TASK to the agent with allocation_info injected; updates are forwarded with agent_id', async () => {
    const { agent, s } = await setup();
    const o = s.offers()[0];
    if (o === undefined) throw new Error('no offer');
    expect((await s.call('ACCEPT', launch(o, 't1'))).status).toBe(202);
    await waitFor(() => agent.runTasks().length === 1, 'RUN_TASK');
    const run = agent.runTasks()[0];
    expect(run?.framework.id.value).toBe(s.frameworkId);
    for (const r of run?.task.resources as { allocation_info?: unknown }[]) expect(r.allocation_info).toEqual({ role: '*' });
    const task = h.master.frameworks.get(s.frameworkId as never)?.tasks.get('t1' as never);
    expect(task?.state).toBe('TASK_STAGING');
    expect(s.updates()).toHaveLength(0);
    const uuid = Buffer.alloc(16, 1).toString('base64');
    expect((await agent.status(s.frameworkId, 't1', 'TASK_RUNNING', uuid)).status).toBe(202);
    const up = await s.stream.next('UPDATE');
    const st = (up['update'] as { status: Record<string, unknown> }).status;
    expect(st).toMatchObject({ state: 'TASK_RUNNING', agent_id: { value: agent.agentId }, executor_id: { value: 't1' }, uuid });
    await s.call('ACKNOWLEDGE', { acknowledge: { agent_id: { value: agent.agentId }, task_id: { value: 't1' }, uuid } });
    await agent.stream.next('ACKNOWLEDGE');
    // Terminal and acknowledged: the task moves to completed.
    const fin = Buffer.alloc(16, 2).toString('base64');
    await agent.status(s.frameworkId, 't1', 'TASK_FINISHED', fin);
    await s.stream.next('UPDATE', 2);
    await s.call('ACKNOWLEDGE', { acknowledge: { agent_id: { value: agent.agentId }, task_id: { value: 't1' }, uuid: fin } });
    await waitFor(() => h.master.frameworks.get(s.frameworkId as never)?.completedTasks.length === 1, 'completed');
  });
  it('invalid offers: TASK_LOST (or TASK_DROPPED for PARTITION_AWARE) with REASON_INVALID_OFFERS', async () => {
    const { s } = await setup(frameworkInfo({ capabilities: [{ type: 'PARTITION_AWARE' }] }));
    const o = s.offers()[0];
    if (o === undefined) throw new Error('no offer');
    await s.call('ACCEPT', launch({ id: { value: 'bogus' }, agent_id: o.agent_id }, 't1'));
    const st = (await s.stream.next('UPDATE'))['update'] as { status: Record<string, unknown> };
    expect(st.status).toMatchObject({ state: 'TASK_DROPPED', reason: 'REASON_INVALID_OFFERS', source: 'SOURCE_MASTER', message: 'Task launched with invalid offers: Offer bogus is no longer valid' });
    expect(st.status['uuid']).toBeUndefined();
  });
  it('validation errors give TASK_ERROR REASON_TASK_INVALID with upstream messages; unused resources return', async () => {
    const { s } = await setup();
    const o = s.offers()[0];
    if (o === undefined) throw new Error('no offer');
    const bad = (id: string, extra: Record<string, unknown>) => ({ name: id, task_id: { value: id }, agent_id: o.agent_id, resources: cpusMem(1, 64), command: { value: 'x' }, ...extra });
    await s.call('ACCEPT', {
      accept: {
        offer_ids: [o.id],
        operations: [
          {
            type: 'LAUNCH',
            launch: {
              task_infos: [
                bad('both', { executor: { executor_id: { value: 'e' }, command: { value: 'x' } } }),
                bad('agent', { agent_id: { value: 'other' } }),
                bad('nores', { resources: [] }),
                bad('big', { resources: cpusMem(100, 64) }),
                bad('ok', {}),
                bad('ok', {}),
              ],
            },
          },
        ],
      },
    });
    await s.stream.next('UPDATE', 5);
    const byId = new Map(s.updates().map((u) => [u.task_id.value, u]));
    expect(byId.get('both')?.message).toBe('Task should have at least one (but not both) of CommandInfo or ExecutorInfo present');
    expect(byId.get('agent')?.message).toBe('Task uses invalid agent: other');
    expect(byId.get('nores')?.message).toBe('Task uses no resources');
    expect(byId.get('big')?.message).toMatch(/^Total resources .* required by task and its executor is more than available/);
    expect(byId.get('ok')?.message).toBe('Task has duplicate ID: ok');
    for (const u of s.updates()) expect(u).toMatchObject({ state: 'TASK_ERROR', reason: 'REASON_TASK_INVALID', source: 'SOURCE_MASTER' });
    expect(h.master.frameworks.get(s.frameworkId as never)?.tasks.size).toBe(1);
  });
  it('KILL of a task not delivered yet answers TASK_KILLED REASON_TASK_KILLED_DURING_LAUNCH; unknown task gets a reconciliation answer', async () => {
    const { agent, s } = await setup();
    const o = s.offers()[0];
    if (o === undefined) throw new Error('no offer');
    await s.call('ACCEPT', launch(o, 't1'));
    await waitFor(() => agent.runTasks().length === 1, 'RUN_TASK');
    const task = h.master.frameworks.get(s.frameworkId as never)?.tasks.get('t1' as never);
    if (task === undefined) throw new Error('no task');
    task.delivered = false; // as if RUN_TASK could not be handed to the agent
    await s.call('KILL', { kill: { task_id: { value: 't1' } } });
    const killed = await s.stream.next('UPDATE');
    expect((killed['update'] as { status: Record<string, unknown> }).status).toMatchObject({ state: 'TASK_KILLED', reason: 'REASON_TASK_KILLED_DURING_LAUNCH', source: 'SOURCE_MASTER' });
    expect(agent.stream.of('KILL_TASK')).toHaveLength(0);
    await s.call('KILL', { kill: { task_id: { value: 'ghost' }, agent_id: { value: agent.agentId } } });
    const up = await s.stream.next('UPDATE', 2);
    expect((up['update'] as { status: Record<string, unknown> }).status).toMatchObject({ state: 'TASK_LOST', reason: 'REASON_RECONCILIATION', message: 'Reconciliation: Task is unknown to the agent' });
  });
  it('KILL of a launched task sends KILL_TASK to the agent', async () => {
    const { agent, s } = await setup();
    const o = s.offers()[0];
    if (o === undefined) throw new Error('no offer');
    await s.call('ACCEPT', launch(o, 't1'));
    await waitFor(() => agent.runTasks().length === 1, 'RUN_TASK');
    await s.call('KILL', { kill: { task_id: { value: 't1' } } });
    const k = await agent.stream.next('KILL_TASK');
    expect(k['kill_task']).toMatchObject({ framework_id: { value: s.frameworkId }, task_id: { value: 't1' } });
  });
});
