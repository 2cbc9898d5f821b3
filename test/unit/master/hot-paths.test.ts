import { afterEach, describe, expect, it } from 'vitest';
import { liveTasksByAgent } from '../../../src/master/master.js';
import type { FrameworkRec, TaskRec } from '../../../src/master/types.js';
import { FakeAgent, Scheduler, cpusMem, frameworkInfo, launch, startHarness, waitFor, type Harness } from './harness.js';

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

describe('hot paths of a registration storm (ADR 0041)', () => {
  it('liveTasksByAgent groups a framework\'s non-terminal tasks by agent in one pass', () => {
    const task = (id: string, agentId: string, state: string): TaskRec => ({ id, agentId, state }) as unknown as TaskRec;
    const tasks = [task('t1', 'a1', 'TASK_RUNNING'), task('t2', 'a2', 'TASK_STAGING'), task('t3', 'a1', 'TASK_FINISHED'), task('t4', 'a1', 'TASK_KILLING')];
    const fw = { tasks: new Map(tasks.map((t) => [t.id, t])) } as unknown as FrameworkRec;
    const by = liveTasksByAgent(fw);
    expect([...by.keys()].sort()).toEqual(['a1', 'a2']);
    expect(by.get('a1' as TaskRec['agentId'])?.map((t) => t.id)).toEqual(['t1', 't4']);
    expect(by.get('a2' as TaskRec['agentId'])?.map((t) => t.id)).toEqual(['t2']);
  });

  it('/metrics/snapshot sums totals and used resources of live tasks only (single-pass scalar sums)', async () => {
    const h = await startHarness();
    open.push(h);
    const a1 = await FakeAgent.subscribe(h);
    await FakeAgent.subscribe(h);
    const s = await Scheduler.subscribe(h, frameworkInfo());
    await h.clock.advance(1000);
    const offer = await waitFor(() => s.offers().find((o) => o.agent_id.value === a1.agentId), 'offer on a1');
    const acc = launch(offer, 't1', cpusMem(1, 128)) as { accept: { operations: { launch: { task_infos: object[] } }[] } };
    const infos = acc.accept.operations[0]?.launch.task_infos ?? [];
    infos.push({ ...infos[0], name: 't2', task_id: { value: 't2' }, resources: cpusMem(0.5, 64) });
    expect((await s.call('ACCEPT', acc)).status).toBe(202);
    await waitFor(() => a1.runTasks().length === 2, 'RUN_TASKs');
    const fid = a1.runTasks()[0]?.framework.id.value ?? '';
    await a1.status(fid, 't1', 'TASK_RUNNING');
    await a1.status(fid, 't2', 'TASK_FINISHED');
    const m = JSON.parse((await h.app.inject({ method: 'GET', url: '/metrics/snapshot' })).body) as Record<string, number>;
    expect(m).toMatchObject({
      'master/slaves_active': 2,
      'master/slaves_disconnected': 0,
      'master/tasks_running': 1,
      'master/tasks_staging': 0,
      'master/cpus_total': 8,
      'master/mem_total': 8192,
      'master/cpus_used': 1,
      'master/mem_used': 128,
      'master/cpus_percent': 0.125,
      'master/cpus_revocable_total': 0,
    });
    // Per-framework task counts by state (built per state from the same pass).
    expect(m[`master/frameworks/test/${fid}/tasks/active/task_running`]).toBe(1);
    // t2 finished without an update uuid: it left the live tasks for the completed list.
    expect(m[`master/frameworks/test/${fid}/tasks/terminal/task_finished`]).toBeUndefined();
  });
});

describe('AgentMap (ADR 0041)', () => {
  it('indexes agents by ip:port through set, replace and delete', async () => {
    const { AgentMap } = await import('../../../src/master/agent-map.js');
    type Rec = Parameters<InstanceType<typeof AgentMap>['set']>[1];
    type Id = Parameters<InstanceType<typeof AgentMap>['set']>[0];
    const rec = (id: string, ip: string, port: number): Rec => ({ id, ip, port }) as unknown as Rec;
    const m = new AgentMap();
    m.set('a' as Id, rec('a', '10.0.0.1', 5051));
    m.set('b' as Id, rec('b', '10.0.0.1', 5051));
    m.set('c' as Id, rec('c', '10.0.0.2', 5051));
    expect(m.atAddress('10.0.0.1', 5051).map((r) => r.id).sort()).toEqual(['a', 'b']);
    // Replacing a record at another address moves it in the index.
    m.set('b' as Id, rec('b', '10.0.0.2', 5051));
    expect(m.atAddress('10.0.0.1', 5051).map((r) => r.id)).toEqual(['a']);
    expect(m.atAddress('10.0.0.2', 5051).map((r) => r.id).sort()).toEqual(['b', 'c']);
    m.delete('a' as Id);
    expect(m.atAddress('10.0.0.1', 5051)).toEqual([]);
    expect(m.size).toBe(2);
    m.clear();
    expect(m.atAddress('10.0.0.2', 5051)).toEqual([]);
  });
});
