// LAUNCH_GROUP on the master (spec §2.5): validation of the executor and the group (TASK_ERROR,
// REASON_TASK_GROUP_INVALID for every task), and one RUN_TASK_GROUP to the agent for a valid group.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromWire } from '../../../src/core/resources.js';
import type { FrameworkId } from '../../../src/core/ids.js';
import { injectAllocationRole, validateTaskGroup } from '../../../src/master/launch-validation.js';
import { FakeAgent, Scheduler, frameworkInfo, startHarness, waitFor, type Harness } from './harness.js';

const scalar = (name: string, value: number) => ({ name, type: 'SCALAR' as const, scalar: { value } });
const EXEC_RES = [scalar('cpus', 0.1), scalar('mem', 32), scalar('disk', 32)];

function executor(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'DEFAULT', executor_id: { value: 'ex' }, resources: injectAllocationRole(EXEC_RES, '*'), ...extra };
}
function task(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: id, task_id: { value: id }, agent_id: { value: 'a1' }, resources: injectAllocationRole([scalar('cpus', 0.5), scalar('mem', 64)], '*'), command: { value: 'sleep 10' }, ...extra };
}

describe('validateTaskGroup', () => {
  const available = fromWire(injectAllocationRole([scalar('cpus', 2), scalar('mem', 512), scalar('disk', 100)], '*') as never);
  const ctx = { frameworkId: 'f1' as FrameworkId, agentId: 'a1', available, taskIdInUse: (id: string) => id === 'used' };
  const msg = (e: Record<string, unknown>, tasks: Record<string, unknown>[]) => {
    const v = validateTaskGroup(e as never, tasks as never, ctx);
    return v.ok ? 'ok' : v.message;
  };
  it('accepts a valid group and charges the executor to its first task', () => {
    const v = validateTaskGroup(executor() as never, [task('a'), task('b')] as never, ctx);
    expect(v.ok).toBe(true);
    if (v.ok) {
      expect(v.resources[0]?.scalar('cpus')).toBeCloseTo(0.6);
      expect(v.resources[1]?.scalar('cpus')).toBeCloseTo(0.5);
    }
    const running = validateTaskGroup(executor() as never, [task('a')] as never, { ...ctx, executorRunning: () => true });
    expect(running.ok && running.resources[0]?.scalar('cpus')).toBeCloseTo(0.5);
  });
  it.each([
    [{ type: undefined }, [task('a')], "'ExecutorInfo.type' must be set"],
    [{ type: 'UNKNOWN' }, [task('a')], 'Unknown executor type'],
    [{ command: { value: 'x' } }, [task('a')], "'ExecutorInfo.command' must not be set for 'DEFAULT' executor"],
    [{ framework_id: { value: 'other' } }, [task('a')], 'ExecutorInfo has an invalid FrameworkID (Actual: other vs Expected: f1)'],
    [{ container: { type: 'DOCKER' } }, [task('a')], 'Docker ContainerInfo is not supported on the executor'],
    [{ resources: injectAllocationRole([scalar('cpus', 0.001), scalar('mem', 32), scalar('disk', 1)], '*') }, [task('a')], /less cpus/],
    [{ resources: injectAllocationRole([scalar('cpus', 0.1), scalar('mem', 16), scalar('disk', 1)], '*') }, [task('a')], /less memory/],
    [{ resources: injectAllocationRole([scalar('cpus', 0.1), scalar('mem', 32)], '*') }, [task('a')], "Executor 'ex' must have disk resources"],
    [{}, [], 'Task group cannot be empty'],
    [{}, [task('a'), task('a')], "Duplicate task ID 'a' in task group"],
    [{}, [task('used')], "Task 'used' is invalid: Task has duplicate ID: used"],
    [{}, [task('a', { command: undefined })], /must have 'CommandInfo'/],
    [{}, [task('a', { executor: { type: 'DEFAULT', executor_id: { value: 'other' } } })], "The 'ExecutorInfo' of task 'a' is different from executor 'ex'"],
    [{}, [task('a', { container: { type: 'MESOS', network_infos: [{}] } })], "Task 'a' is not allowed to have NetworkInfo"],
    [{}, [task('a'), task('b'), task('c'), task('d')], /more than available/],
  ])('%j with %# tasks → %s', (e, tasks, expected) => {
    const m = msg(executor(e), tasks);
    if (expected instanceof RegExp) expect(m).toMatch(expected);
    else expect(m).toBe(expected);
  });
});

describe('ACCEPT with LAUNCH_GROUP', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  async function offered(): Promise<{ agent: FakeAgent; s: Scheduler; offer: { id: { value: string }; agent_id: { value: string } } }> {
    const agent = await FakeAgent.subscribe(h);
    const s = await Scheduler.subscribe(h, frameworkInfo());
    await h.clock.advance(1000);
    const offer = await waitFor(() => s.offers()[0], 'offer');
    return { agent, s, offer };
  }

  const accept = (s: Scheduler, offer: { id: { value: string }; agent_id: { value: string } }, e: Record<string, unknown>, tasks: Record<string, unknown>[]) =>
    s.call('ACCEPT', {
      accept: {
        offer_ids: [offer.id],
        operations: [{ type: 'LAUNCH_GROUP', launch_group: { executor: e, task_group: { tasks: tasks.map((t) => ({ ...t, agent_id: offer.agent_id })) } } }],
      },
    });

  it('sends one RUN_TASK_GROUP with every task and records them with the group executor', async () => {
    const { agent, s, offer } = await offered();
    expect((await accept(s, offer, { type: 'DEFAULT', executor_id: { value: 'ex' }, resources: EXEC_RES }, [task('a'), task('b'), task('c')])).status).toBe(202);
    const ev = await agent.stream.next('RUN_TASK_GROUP');
    const rg = ev['run_task_group'] as { executor: { executor_id: { value: string }; framework_id: { value: string } }; task_group: { tasks: { task_id: { value: string }; executor?: unknown }[] } };
    expect(rg.executor.executor_id.value).toBe('ex');
    expect(rg.executor.framework_id.value).toBe(s.frameworkId);
    expect(rg.task_group.tasks.map((t) => t.task_id.value)).toEqual(['a', 'b', 'c']);
    expect(rg.task_group.tasks.every((t) => t.executor === undefined)).toBe(true);
    expect(agent.runTasks()).toHaveLength(0);
    const state = h.master.frameworks.get(s.frameworkId as never);
    expect([...(state?.tasks.values() ?? [])].map((t) => t.info.executor?.executor_id.value)).toEqual(['ex', 'ex', 'ex']);
  });

  it("holds the executor's own resources after its tasks end, until EXITED_EXECUTOR", async () => {
    const { agent, s, offer } = await offered();
    await accept(s, offer, { type: 'DEFAULT', executor_id: { value: 'ex' }, resources: EXEC_RES }, [task('a'), task('b')]);
    await agent.stream.next('RUN_TASK_GROUP');
    const aid = offer.agent_id.value as never;
    const used = () => h.master.executorResources(aid).plus(
      [...(h.master.frameworks.get(s.frameworkId as never)?.tasks.values() ?? [])].reduce((acc, t) => (t.released ? acc : acc.plus(t.resources)), fromWire([])),
    );
    // Charged once: two tasks of 0.5 cpus plus the executor's 0.1.
    expect(used().scalar('cpus')).toBeCloseTo(1.1);
    expect(h.master.executorResources(aid).scalar('mem')).toBe(32);
    for (const id of ['a', 'b']) await agent.status(s.frameworkId, id, 'TASK_FINISHED');
    await waitFor(() => h.master.frameworks.get(s.frameworkId as never)?.tasks.size === 0 || [...(h.master.frameworks.get(s.frameworkId as never)?.tasks.values() ?? [])].every((t) => t.released), 'tasks released');
    // The tasks are done but the executor has not exited: its share stays charged.
    expect(used().scalar('cpus')).toBeCloseTo(0.1);
    expect((await agent.call('EXITED_EXECUTOR', { exited_executor: { framework_id: { value: s.frameworkId }, executor_id: { value: 'ex' }, status: 0 } })).status).toBe(202);
    expect(h.master.executorResources(aid).isEmpty()).toBe(true);
    expect(used().scalar('cpus')).toBe(0);
  });

  it('fails every task of an invalid group with TASK_ERROR / REASON_TASK_GROUP_INVALID', async () => {
    const { agent, s, offer } = await offered();
    await accept(s, offer, { type: 'DEFAULT', executor_id: { value: 'ex' } }, [task('a'), task('b')]);
    await waitFor(() => s.updates().length >= 2, 'two TASK_ERRORs');
    for (const u of s.updates()) {
      expect(u.state).toBe('TASK_ERROR');
      expect(u.reason).toBe('REASON_TASK_GROUP_INVALID');
      expect(u.message).toMatch(/less cpus/);
    }
    expect(agent.stream.of('RUN_TASK_GROUP')).toHaveLength(0);
  });
});
