import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { normalizeApp } from '../../../src/apps/model/normalize.js';
import type { AppDefinition } from '../../../src/apps/model/app.js';
import type { Instance } from '../../../src/apps/model/instance.js';
import { reconcileApp } from '../../../src/apps/reconcile/reconciler.js';
import { selectVictims } from '../../../src/apps/reconcile/kill-selection.js';
import { delayAfterFailure, delayLeft } from '../../../src/apps/reconcile/backoff.js';
import { capacityBounds, planRestartStep } from '../../../src/apps/deploy/restart-planner.js';

function app(extra: object = {}, config = 'c1'): AppDefinition {
  return { ...normalizeApp({ id: 'web', cmd: 'sleep 1', ...extra }), version: config, versionInfo: { lastConfigChangeAt: config, lastScalingAt: config } };
}

let seq = 0;
function inst(state: Instance['state'], extra: Partial<Instance> = {}): Instance {
  seq++;
  return { instanceId: `i${seq}`, taskId: `t${seq}`, appId: '/web', appVersion: 'c1', configVersion: 'c1', state, goal: 'running', scheduledAt: seq, ports: [], ...extra };
}

describe('reconcileApp', () => {
  it('launches the missing instances and never more than desired', () => {
    expect(reconcileApp(app({ instances: 3 }), [])).toEqual({ launch: 3, kill: [] });
    expect(reconcileApp(app({ instances: 3 }), [inst('SCHEDULED'), inst('TASK_RUNNING')])).toEqual({ launch: 1, kill: [] });
    expect(reconcileApp(app({ instances: 2 }), [inst('TASK_RUNNING'), inst('TASK_RUNNING')])).toEqual({ launch: 0, kill: [] });
    // A decommissioned instance still dying does not count: its replacement may start.
    expect(reconcileApp(app({ instances: 1 }), [inst('TASK_KILLING', { goal: 'decommissioned' })])).toEqual({ launch: 1, kill: [] });
  });

  it('scales down scheduled and staging instances before running ones, youngest first', () => {
    const a = inst('TASK_RUNNING', { startedAt: 10 });
    const b = inst('TASK_RUNNING', { startedAt: 20 });
    const c = inst('SCHEDULED');
    expect(reconcileApp(app({ instances: 1 }), [a, b, c]).kill).toEqual([c.instanceId, b.instanceId]);
    expect(reconcileApp(app({ instances: 1, killSelection: 'OLDEST_FIRST' }), [a, b]).kill).toEqual([a.instanceId]);
    expect(selectVictims([a, b], 0, 'YOUNGEST_FIRST')).toEqual([]);
  });

  it('kills every instance of a deleted app', () => {
    const a = inst('TASK_RUNNING');
    const b = inst('SCHEDULED');
    expect(reconcileApp(undefined, [a, b, inst('TASK_KILLING', { goal: 'decommissioned' })])).toEqual({ launch: 0, kill: [a.instanceId, b.instanceId] });
  });

  it('drives a rolling restart: new first, old killed as new ones become healthy', () => {
    const next = app({ instances: 2 }, 'c2');
    const old = [inst('TASK_RUNNING'), inst('TASK_RUNNING')];
    expect(reconcileApp(next, old)).toEqual({ launch: 2, kill: [] });
    const fresh1 = inst('TASK_RUNNING', { configVersion: 'c2' });
    const fresh2 = inst('TASK_STAGING', { configVersion: 'c2' });
    const step = reconcileApp(next, [...old, fresh1, fresh2]);
    expect(step.launch).toBe(0);
    expect(step.kill).toHaveLength(1);
  });
});

describe('planRestartStep (spec §4.4 examples, n = 10)', () => {
  const healthyOld = Array.from({ length: 10 }, (_, i) => ({ id: `o${i}`, healthy: true }));
  it.each([
    [1, 1, 0, 10],
    [1, 0, 0, 1],
    [0, 1, 10, 10],
    [0.5, 1, 5, 10],
  ])('mhc=%s moc=%s: kills %s, launches %s', (mhc, moc, kills, launches) => {
    const step = planRestartStep({ instances: 10, strategy: { minimumHealthCapacity: mhc, maximumOverCapacity: moc }, old: healthyOld, fresh: [] });
    expect(step.kill).toHaveLength(kills);
    expect(step.launch).toBe(launches);
  });

  it('never drops below minHealthy while replacing one at a time (mhc=1, moc=0)', () => {
    const strategy = { minimumHealthCapacity: 1, maximumOverCapacity: 0 };
    let old = healthyOld.slice(0, 3);
    let fresh: { id: string; healthy: boolean }[] = [];
    for (let round = 0; round < 10 && (old.length > 0 || fresh.length < 3); round++) {
      const step = planRestartStep({ instances: 3, strategy, old, fresh });
      old = old.filter((o) => !step.kill.includes(o.id));
      expect(old.filter((o) => o.healthy).length + fresh.filter((f) => f.healthy).length).toBeGreaterThanOrEqual(3);
      expect(old.length + fresh.length + step.launch).toBeLessThanOrEqual(4);
      fresh = [...fresh.map((f) => ({ ...f, healthy: true })), ...Array.from({ length: step.launch }, (_, i) => ({ id: `n${round}-${i}`, healthy: false }))];
    }
    expect(old).toHaveLength(0);
    expect(fresh).toHaveLength(3);
    expect(capacityBounds(3, strategy, 3)).toEqual({ minHealthy: 3, maxCapacity: 4 });
  });

  it('kills unhealthy old instances first', () => {
    const step = planRestartStep({ instances: 2, strategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0 }, old: [{ id: 'a', healthy: true }, { id: 'b', healthy: false }], fresh: [] });
    expect(step.kill).toEqual(['b']);
  });
});

describe('launch back-off under FakeClock', () => {
  it('grows by backoffFactor up to maxLaunchDelaySeconds and lapses after it', async () => {
    const clock = new FakeClock();
    const p = { backoffSeconds: 1, backoffFactor: 2, maxLaunchDelaySeconds: 5 };
    let d = delayAfterFailure(undefined, p, 'c1', clock.now());
    const seen = [d.delayMs];
    for (let i = 0; i < 4; i++) {
      d = delayAfterFailure(d, p, 'c1', clock.now());
      seen.push(d.delayMs);
    }
    expect(seen).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(delayLeft(d, 'c1', clock.now())).toBe(5000);
    expect(delayLeft(d, 'c2', clock.now())).toBe(0);
    await clock.advance(3000);
    expect(delayLeft(d, 'c1', clock.now())).toBe(2000);
    await clock.advance(6000);
    expect(delayAfterFailure(d, p, 'c1', clock.now()).delayMs).toBe(1000);
  });
});

describe('GROUP_BY scale-down', () => {
  it('takes victims from the largest group first', () => {
    const onA = [inst('TASK_RUNNING', { fields: { rack: 'a' }, startedAt: 1 }), inst('TASK_RUNNING', { fields: { rack: 'a' }, startedAt: 2 }), inst('TASK_RUNNING', { fields: { rack: 'a' }, startedAt: 3 })];
    const onB = [inst('TASK_RUNNING', { fields: { rack: 'b' }, startedAt: 4 })];
    const cmds = reconcileApp(app({ instances: 2, constraints: [['rack', 'GROUP_BY']] }), [...onA, ...onB]);
    expect(cmds.kill).toEqual([onA[2]?.instanceId, onA[1]?.instanceId]);
    // Without GROUP_BY the youngest (on b) would go first.
    expect(reconcileApp(app({ instances: 3 }), [...onA, ...onB]).kill).toEqual([onB[0]?.instanceId]);
  });
});
