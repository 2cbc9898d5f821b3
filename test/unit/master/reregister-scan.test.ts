import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/coordination/index.js';
import { FakeAgent, Scheduler, frameworkInfo, launch, startHarness, waitFor, type Harness } from './harness.js';

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

describe('re-registration and tasks the agent does not report (ADR 0041)', () => {
  it('a connected agent that re-subscribes without a launched task: the task goes TASK_LOST', async () => {
    const h = await startHarness();
    open.push(h);
    const agent = await FakeAgent.subscribe(h);
    const s = await Scheduler.subscribe(h, frameworkInfo());
    await h.clock.advance(1000);
    const o = await waitFor(() => s.offers()[0], 'offer');
    await s.call('ACCEPT', launch(o, 't1'));
    await waitFor(() => agent.runTasks().length === 1, 'RUN_TASK');
    const again = await FakeAgent.subscribe(h, { agentId: agent.agentId, port: 5051 });
    expect(again.agentId).toBe(agent.agentId);
    const up = await s.stream.next('UPDATE');
    expect((up['update'] as { status: Record<string, unknown> }).status).toMatchObject({ state: 'TASK_LOST', message: 'Reconciliation: task unknown to the agent' });
  });

  it('after a master restart, recovered agents re-register with their tasks (the unreported-task scan is skipped, nothing is lost)', async () => {
    const store = new MemoryStore();
    const h1 = await startHarness({}, store);
    open.push(h1);
    const a1 = await FakeAgent.subscribe(h1);
    const a2 = await FakeAgent.subscribe(h1);
    const fw = frameworkInfo({ checkpoint: true, failover_timeout: 3600 });
    const s = await Scheduler.subscribe(h1, fw);
    const fid = s.frameworkId;
    await h1.clock.advance(1000);
    const offers = await waitFor(() => (s.offers().length >= 2 ? s.offers() : undefined), 'two offers');
    const ids = new Map(offers.map((o) => [o.agent_id.value, o]));
    await s.call('ACCEPT', launch(ids.get(a1.agentId) as never, 't1'));
    await s.call('ACCEPT', launch(ids.get(a2.agentId) as never, 't2'));
    await waitFor(() => a1.runTasks().length === 1 && a2.runTasks().length === 1, 'RUN_TASKs');
    const tasks = new Map([...a1.runTasks(), ...a2.runTasks()].map((r) => [r.task.task_id.value, r.task]));
    await h1.close();
    open.splice(0);

    const h2 = await startHarness({}, store);
    open.push(h2);
    expect(h2.master.agents.get(a1.agentId as never)?.state).toBe('recovered');
    const report = (tid: string): unknown => ({ framework_id: { value: fid }, task: tasks.get(tid), state: 'TASK_RUNNING' });
    const info = { ...fw, id: { value: fid } };
    await FakeAgent.subscribe(h2, { agentId: a1.agentId, port: 5051, tasks: [report('t1')], frameworks: [info] });
    await FakeAgent.subscribe(h2, { agentId: a2.agentId, port: 5052, tasks: [report('t2')], frameworks: [info] });
    const known = h2.master.frameworks.get(fid as never)?.tasks;
    expect([...(known?.values() ?? [])].map((t) => [t.id, t.agentId, t.state]).sort()).toEqual([
      ['t1', a1.agentId, 'TASK_RUNNING'],
      ['t2', a2.agentId, 'TASK_RUNNING'],
    ]);
  });
});
