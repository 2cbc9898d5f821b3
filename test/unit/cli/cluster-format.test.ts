import { describe, expect, it } from 'vitest';
import { agentTable, findTask, frameworkTable, healthOf, parseEventTypes, taskTable, tasksOf, type GetTasksJson } from '../../../src/cli/cluster-format.js';

const task = (id: string, state: string, healthy?: boolean) => ({
  task_id: { value: id },
  framework_id: { value: 'fw-1' },
  agent_id: { value: 'ag-1' },
  state,
  statuses: [{ state, ...(healthy !== undefined ? { healthy } : {}) }],
});

describe('agora tasks formatting', () => {
  const r: GetTasksJson = { tasks: [task('web-2', 'TASK_RUNNING', false), task('web-1', 'TASK_RUNNING', true)], completed_tasks: [task('old', 'TASK_FINISHED')], unreachable_tasks: [task('lost', 'TASK_UNREACHABLE')] };

  it('lists live and unreachable tasks sorted by id; completed ones with --all', () => {
    expect(tasksOf(r, false).map((t) => t.task_id.value)).toEqual(['lost', 'web-1', 'web-2']);
    expect(tasksOf(r, true).map((t) => t.task_id.value)).toEqual(['lost', 'old', 'web-1', 'web-2']);
    expect(findTask(r, 'old')?.state).toBe('TASK_FINISHED');
    expect(findTask(r, 'nope')).toBeUndefined();
  });

  it('renders id, framework, agent, state, healthy as aligned columns', () => {
    expect(taskTable(tasksOf(r, false))).toEqual([
      'ID     FRAMEWORK  AGENT  STATE             HEALTHY',
      'lost   fw-1       ag-1   TASK_UNREACHABLE  -',
      'web-1  fw-1       ag-1   TASK_RUNNING      yes',
      'web-2  fw-1       ag-1   TASK_RUNNING      no',
    ]);
    expect(taskTable([])).toEqual(['ID  FRAMEWORK  AGENT  STATE  HEALTHY']);
  });

  it('takes health from the latest status only', () => {
    expect(healthOf({ task_id: { value: 'x' }, statuses: [{ healthy: true }, { state: 'TASK_RUNNING' }] })).toBe('-');
    expect(healthOf({ task_id: { value: 'x' } })).toBe('-');
  });
});

describe('agora agents / frameworks formatting', () => {
  it('shows agent address from the pid and used/total cpus and mem', () => {
    const lines = agentTable([
      {
        agent_info: { id: { value: 'S0' }, hostname: 'h1', port: 5051 },
        active: true,
        pid: 'slave(1)@10.0.0.1:5051',
        total_resources: [{ name: 'cpus', scalar: { value: 4 } }, { name: 'mem', scalar: { value: 1024 } }],
        allocated_resources: [{ name: 'cpus', scalar: { value: 0.5 } }, { name: 'cpus', scalar: { value: 0.25 } }],
      },
    ]);
    expect(lines).toEqual(['ID  HOSTNAME  ADDRESS        ACTIVE  CPUS    MEM', 'S0  h1        10.0.0.1:5051  yes     0.75/4  0/1024']);
  });

  it('shows framework roles, flags and allocation', () => {
    const lines = frameworkTable([
      { framework_info: { id: { value: 'F1' }, name: 'apps', roles: ['a', 'b'] }, active: true, connected: false, allocated_resources: [{ name: 'mem', scalar: { value: 64 } }] },
      { framework_info: { id: { value: 'F2' }, name: 'x' } },
    ]);
    expect(lines).toEqual(['ID  NAME  ROLES  ACTIVE  CONNECTED  CPUS  MEM', 'F1  apps  a,b    yes     no         0     64', 'F2  x     *      no      no         0     0']);
  });
});

describe('agora events --type', () => {
  it('accepts comma lists and repeats, case-insensitively; rejects unknown types', () => {
    expect(parseEventTypes(undefined)).toBeUndefined();
    expect([...(parseEventTypes(['task_added,TASK_UPDATED', 'AGENT_ADDED']) ?? [])]).toEqual(['TASK_ADDED', 'TASK_UPDATED', 'AGENT_ADDED']);
    expect(() => parseEventTypes(['TASK_EXPLODED'])).toThrow(/unknown event type 'TASK_EXPLODED'/);
  });
});
