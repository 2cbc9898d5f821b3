// Journal replay and compaction of executor runs (pure): exec/epid/execgone records and tasks' eid/gid.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/core/clock.js';
import { StatusUpdateManager } from '../../../../src/agent/status-updates/manager.js';
import { compactRecords, replayJournal } from '../../../../src/agent/replay.js';
import type { JournalRecord } from '../../../../src/agent/checkpoint/recovery.js';
import { executorEnvironment, executorKind, waitStatusOf } from '../../../../src/agent/executors/executor-record.js';
import { endsGroup, groupSiblings } from '../../../../src/agent/executors/task-groups.js';
import { validateUpdate } from '../../../../src/agent/executors/executor-manager.js';
import type { FrameworkRecord, TaskRecord } from '../../../../src/agent/task-record.js';

const manager = () => new StatusUpdateManager({ clock: new FakeClock(), sink: { append: () => Promise.resolve() }, send: () => undefined, retryIntervalMs: 1000, retryMaxMs: 10_000 });
const fw = { id: { value: 'f' }, name: 'n', user: 'u' };
const task = (id: string) => ({ name: id, task_id: { value: id }, agent_id: { value: 'a' }, command: { value: 'true' } });
const exec = (id: string, type: 'CUSTOM' | 'DEFAULT') => ({ type, executor_id: { value: id }, ...(type === 'CUSTOM' ? { command: { value: 'x' } } : {}) });

describe('executor journal records', () => {
  it('replays executor runs, their pids and ends; compaction keeps live ones', () => {
    const records: JournalRecord[] = [
      { k: 'fw', fw },
      { k: 'exec', fid: 'f', info: exec('c1', 'CUSTOM'), cid: 'cid1', dir: '/s/c1' },
      { k: 'epid', fid: 'f', eid: 'c1', pid: 42 },
      { k: 'exec', fid: 'f', info: exec('gone', 'CUSTOM'), cid: 'cid2', dir: '/s/gone' },
      { k: 'execgone', fid: 'f', eid: 'gone' },
      { k: 'exec', fid: 'f', info: exec('d1', 'DEFAULT'), cid: 'cid3', dir: '/s/d1' },
      { k: 'task', fid: 'f', task: task('t1'), cid: 'cid1', dir: '/s/c1', eid: 'c1' },
      { k: 'task', fid: 'f', task: task('g1'), cid: 'cg1', dir: '/s/d1/tasks/g1', eid: 'd1', gid: 'g1' },
    ];
    const updates = manager();
    const r = replayJournal(records, updates);
    expect([...r.executors.keys()]).toEqual(['f/c1', 'f/d1']);
    expect(r.executors.get('f/c1')?.pid).toBe(42);
    const t1 = r.frameworks.get('f')?.tasks.get('t1');
    expect(t1?.executorId).toBe('c1');
    expect(t1?.groupId).toBeUndefined();
    expect(r.frameworks.get('f')?.tasks.get('g1')?.groupId).toBe('g1');
    const compacted = compactRecords(r.frameworks, updates, r.executors.values()).records;
    expect(compacted.filter((x) => x.k === 'exec').map((x) => (x.k === 'exec' ? x.info.executor_id.value : ''))).toEqual(['c1', 'd1']);
    expect(compacted).toContainEqual({ k: 'epid', fid: 'f', eid: 'c1', pid: 42 });
    expect(compacted).toContainEqual({ k: 'task', fid: 'f', task: task('g1'), cid: 'cg1', dir: '/s/d1/tasks/g1', eid: 'd1', gid: 'g1' });
    // A framework whose tasks are all gone is still kept while it has an executor.
    const again = replayJournal(compacted, manager());
    expect(again.executors.size).toBe(2);
  });
});

describe('executor helpers', () => {
  it('kinds, wait statuses, environment', () => {
    expect(executorKind(exec('a', 'CUSTOM'))).toBe('custom');
    expect(executorKind(exec('a', 'DEFAULT'))).toBe('default');
    expect(executorKind({ executor_id: { value: 'a' }, command: { value: 'x' } })).toBe('custom');
    expect(waitStatusOf({ kind: 'exited', code: 3 }, { SIGKILL: 9 })).toBe(768);
    expect(waitStatusOf({ kind: 'signaled', signal: 'SIGKILL' }, { SIGKILL: 9 })).toBe(9);
    expect(waitStatusOf({ kind: 'unknown', message: '?' }, {})).toBeUndefined();
    const c = { frameworkId: 'f', agentId: 'a', sandbox: '/s', agentIp: '10.0.0.1', agentPort: 5051, checkpoint: false, shutdownGrace: '5secs', recoveryTimeout: '15mins', subscriptionBackoffMax: '2secs' };
    const env = executorEnvironment({ executor_id: { value: 'e' }, command: { value: 'x', environment: { variables: [{ name: 'FOO', value: 'bar' }] } } }, c, {});
    expect(env['MESOS_SLAVE_PID']).toBe('slave(1)@10.0.0.1:5051');
    expect(env['MESOS_CHECKPOINT']).toBe('0');
    expect(env['MESOS_RECOVERY_TIMEOUT']).toBeUndefined();
    expect(env['FOO']).toBe('bar');
  });
  it('group rules: only a non-successful end takes the group down; siblings are the live others', () => {
    expect(endsGroup('TASK_FINISHED')).toBe(false);
    expect(endsGroup('TASK_RUNNING')).toBe(false);
    expect(endsGroup('TASK_FAILED')).toBe(true);
    expect(endsGroup('TASK_KILLED')).toBe(true);
    const rec = (id: string, gid: string, state: 'TASK_RUNNING' | 'TASK_FINISHED'): TaskRecord => ({
      fid: 'f',
      task: task(id),
      containerId: id,
      sandbox: '',
      state,
      latest: undefined,
      statuses: [],
      supervisorPid: undefined,
      launching: undefined,
      killRequested: false,
      killTimer: undefined,
      groupId: gid,
    });
    const framework: FrameworkRecord = { info: fw, completed: [], tasks: new Map([['a', rec('a', 'g', 'TASK_RUNNING')], ['b', rec('b', 'g', 'TASK_RUNNING')], ['c', rec('c', 'g', 'TASK_FINISHED')], ['d', rec('d', 'h', 'TASK_RUNNING')]]) };
    const self = framework.tasks.get('a');
    expect(self && groupSiblings(framework, self).map((t) => t.task.task_id.value)).toEqual(['b']);
  });
  it('validates executor updates', () => {
    const uuid = Buffer.alloc(16).toString('base64');
    const st = { task_id: { value: 't' }, state: 'TASK_RUNNING' as const, source: 'SOURCE_EXECUTOR' as const, uuid };
    expect(validateUpdate(st, 'e')).toBeUndefined();
    expect(validateUpdate({ ...st, uuid: 'abc' }, 'e')).toMatch(/uuid/);
    expect(validateUpdate({ ...st, source: 'SOURCE_MASTER' }, 'e')).toMatch(/invalid source/);
  });
});
