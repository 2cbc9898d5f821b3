import { describe, expect, it } from 'vitest';
import { fromWire } from '../../../src/core/resources.js';
import type { AgentId, FrameworkId, OfferId, TaskId } from '../../../src/core/ids.js';
import { frameworkRoles, validateFrameworkInfo, validateRole, validateSuppressed } from '../../../src/master/framework-validation.js';
import { injectAllocationRole, validateOffers, validateTask } from '../../../src/master/launch-validation.js';
import { refuseMsOf } from '../../../src/master/offers.js';
import { explicitAnswer, type ReconcileView } from '../../../src/master/reconciliation.js';
import { collapseStatus } from '../../../src/master/statuses.js';
import { validateCall } from '../../../src/master/http/call-validation.js';
import type { AgentState, OfferRec, TaskRec } from '../../../src/master/types.js';

const F = 'f1' as FrameworkId;
const offer = (id: string, agent = 'a1', role = '*', fw: string = F): OfferRec => ({
  id: id as OfferId,
  frameworkId: fw as FrameworkId,
  agentId: agent as AgentId,
  role,
  resources: fromWire([{ name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, allocation_info: { role } }]),
});

describe('refuse filters (spec §6.4)', () => {
  it.each([
    [undefined, 5000],
    [{}, 5000],
    [{ refuse_seconds: 0 }, 0],
    [{ refuse_seconds: 2.5 }, 2500],
    [{ refuse_seconds: -1 }, 5000],
    [{ refuse_seconds: 400 * 86400 }, 365 * 86400 * 1000],
    [{ refuse_seconds: Infinity }, 365 * 86400 * 1000],
  ])('%j → %d ms', (filters, ms) => {
    expect(refuseMsOf(filters)).toBe(ms);
  });
});

describe('offer validation (spec §2.5 step 1)', () => {
  const offers = new Map([['o1', offer('o1')], ['o2', offer('o2', 'a2')], ['o3', offer('o3', 'a1', 'dev')], ['o4', offer('o4', 'a1', '*', 'other')], ['o5', offer('o5')]]);
  const lookup = (id: OfferId) => offers.get(id);
  it.each([
    [[], 'No offers specified'],
    [['o1', 'o1'], 'Duplicate offer o1 in offer list'],
    [['zz'], 'Offer zz is no longer valid'],
    [['o4'], 'Offer o4 has invalid framework other while framework f1 is expected'],
    [['o1', 'o2'], 'Aggregated offers must belong to one single agent'],
    [['o1', 'o3'], 'Aggregated offers must be allocated to the same role'],
  ])('%j → %s', (ids, message) => {
    expect(validateOffers(ids, lookup, F)).toEqual({ ok: false, message });
  });
  it('accepts offers of one agent and role', () => {
    expect(validateOffers(['o1', 'o5'], lookup, F).ok).toBe(true);
  });
});

describe('task validation (spec §2.5 LAUNCH)', () => {
  const available = fromWire([
    { name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, allocation_info: { role: '*' } },
    { name: 'mem', type: 'SCALAR', scalar: { value: 256 }, allocation_info: { role: '*' } },
  ]);
  const ctx = { frameworkId: F, agentId: 'a1', available, taskIdInUse: (id: string) => id === 'dup' };
  const task = (extra: Record<string, unknown> = {}) => ({
    name: 't',
    task_id: { value: 't' },
    agent_id: { value: 'a1' },
    resources: injectAllocationRole([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }], '*'),
    command: { value: 'true' },
    ...extra,
  });
  it('accepts a valid task and returns its resources', () => {
    const v = validateTask(task(), ctx);
    expect(v.ok).toBe(true);
  });
  it('rejects with upstream messages', () => {
    const msg = (t: Record<string, unknown>) => {
      const v = validateTask(t as never, ctx);
      return v.ok ? 'ok' : v.message;
    };
    expect(msg(task({ command: undefined }))).toMatch(/at least one \(but not both\)/);
    expect(msg(task({ task_id: { value: 'dup' } }))).toBe('Task has duplicate ID: dup');
    expect(msg(task({ agent_id: { value: 'zz' } }))).toBe('Task uses invalid agent: zz');
    expect(msg(task({ resources: [] }))).toBe('Task uses no resources');
    expect(msg(task({ kill_policy: { grace_period: { nanoseconds: -1 } } }))).toBe("Task's kill policy must have non-negative grace period");
    expect(msg(task({ resources: injectAllocationRole([{ name: 'cpus', type: 'SCALAR', scalar: { value: 3 } }], '*') }))).toMatch(/more than available/);
    expect(msg(task({ resources: injectAllocationRole([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }], 'dev') }))).toMatch(/more than available/);
    expect(msg(task({ health_check: { type: 'HTTP' } }))).toBe("Task uses invalid health check: Expecting 'http' to be set for HTTP health check");
    expect(msg(task({ health_check: { type: 'TCP', tcp: { port: 80 }, interval_seconds: -1 } }))).toBe("Task uses invalid health check: Expecting 'interval_seconds' to be non-negative");
    expect(msg(task({ check: { type: 'HTTP', http: { port: 80, path: 'x' } } }))).toBe("Task uses invalid check: The path 'x' of HTTP check must start with '/'");
    expect(msg(task({ health_check: { type: 'TCP', tcp: { port: 80 } }, check: { type: 'COMMAND', command: { command: { value: 'true' } } } }))).toBe('ok');
  });
});

describe('explicit reconciliation table (spec §6.7)', () => {
  const states: Record<string, AgentState> = { reg: 'registered', unr: 'unreachable', gone: 'gone', rec: 'recovered' };
  const view = (pa: boolean, anyRecovered = false): ReconcileView => ({
    nowMs: 1_000_000,
    partitionAware: pa,
    findTask: (id) => (id === 'known' ? ({ id: 'known' as TaskId, agentId: 'reg' as AgentId, state: 'TASK_RUNNING' } as TaskRec) : undefined),
    agentState: (id) => states[id],
    unreachableTime: () => 500_000,
    anyRecoveredAgents: () => anyRecovered,
  });
  it.each([
    ['known', 'reg', true, 'TASK_RUNNING', 'Reconciliation: Latest task state'],
    ['x', 'reg', true, 'TASK_GONE', 'Reconciliation: Task is unknown to the agent'],
    ['x', 'reg', false, 'TASK_LOST', 'Reconciliation: Task is unknown to the agent'],
    ['x', 'unr', true, 'TASK_UNREACHABLE', 'Reconciliation: Task is unreachable'],
    ['x', 'unr', false, 'TASK_LOST', 'Reconciliation: Task is unreachable'],
    ['x', 'gone', true, 'TASK_GONE_BY_OPERATOR', 'Reconciliation: Task is gone'],
    ['x', 'gone', false, 'TASK_LOST', 'Reconciliation: Task is gone'],
    ['x', 'nope', true, 'TASK_UNKNOWN', 'Reconciliation: Task is unknown'],
    ['x', undefined, false, 'TASK_LOST', 'Reconciliation: Task is unknown'],
  ])('%s on %s (PA %s) → %s', (task, agent, pa, state, message) => {
    const a = explicitAnswer(task, agent, view(pa));
    expect(a).toMatchObject({ state, message, reason: 'REASON_RECONCILIATION', source: 'SOURCE_MASTER' });
    expect(a?.uuid).toBeUndefined();
  });
  it('unreachable answers carry unreachable_time for partition-aware frameworks', () => {
    expect(explicitAnswer('x', 'unr', view(true))?.unreachable_time).toEqual({ nanoseconds: 500_000 * 1e6 });
  });
  it('no answer while the agent (or, without agent, any agent) is still recovering', () => {
    expect(explicitAnswer('x', 'rec', view(true))).toBeUndefined();
    expect(explicitAnswer('x', undefined, view(true, true))).toBeUndefined();
  });
});

describe('framework validation (spec §2.4)', () => {
  it('role names', () => {
    for (const ok of ['*', 'dev', 'eng/frontend', 'a.b']) expect(validateRole(ok)).toBeUndefined();
    for (const bad of ['', '/a', 'a/', 'a//b', '.', 'a/..', 'a/*', '-a', 'a b', 'a\tb']) expect(validateRole(bad)).toBeDefined();
  });
  it('MULTI_ROLE rules and the whitelist', () => {
    expect(frameworkRoles({ user: 'u', name: 'n' }, undefined)).toEqual({ ok: true, roles: ['*'] });
    expect(frameworkRoles({ user: 'u', name: 'n', role: 'dev', capabilities: [{ type: 'MULTI_ROLE' }] }, undefined)).toEqual({
      ok: false,
      message: "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable",
    });
    expect(frameworkRoles({ user: 'u', name: 'n', roles: ['a', 'a'], capabilities: [{ type: 'MULTI_ROLE' }] }, undefined).ok).toBe(false);
    expect(frameworkRoles({ user: 'u', name: 'n', role: 'x' }, ['a'])).toEqual({ ok: false, message: "Roles { x } are not present in the master's --roles" });
    expect(validateSuppressed(['b'], ['a'])).toBe('Suppressed roles { b } are not contained in the set of roles');
    expect(validateFrameworkInfo({ user: 'root', name: 'n' }, false)).toMatch(/root/);
    expect(validateFrameworkInfo({ user: 'u', name: 'n', id: { value: 'a/b' } }, true)).toBeDefined();
  });
});

describe('statuses history (spec §6.6)', () => {
  it('collapses consecutive same-state updates', () => {
    let h = collapseStatus([], { task_id: { value: 't' }, state: 'TASK_RUNNING', timestamp: 1 }, 0);
    h = collapseStatus(h, { task_id: { value: 't' }, state: 'TASK_RUNNING', timestamp: 2, healthy: true }, 0);
    h = collapseStatus(h, { task_id: { value: 't' }, state: 'TASK_FINISHED', timestamp: 3 }, 0);
    expect(h).toEqual([
      { state: 'TASK_RUNNING', timestamp: 2, healthy: true },
      { state: 'TASK_FINISHED', timestamp: 3 },
    ]);
  });
});

describe('call validation', () => {
  it('UPDATE_FRAMEWORK ids must match', () => {
    expect(
      validateCall({ type: 'UPDATE_FRAMEWORK', framework_id: { value: 'a' }, update_framework: { framework_info: { user: 'u', name: 'n', id: { value: 'b' } } } }),
    ).toBe("'framework_id' differs from 'update_framework.framework_info.id'");
    expect(validateCall({ type: 'TEARDOWN', framework_id: { value: 'a' } })).toBeUndefined();
  });
});
