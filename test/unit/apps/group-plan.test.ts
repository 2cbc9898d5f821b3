import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/apps/api/errors.js';
import { buildGroupPlan, dependencyLevels, scaledInstances, type GroupMeta } from '../../../src/apps/deploy/group-plan.js';
import { normalizeApp } from '../../../src/apps/model/normalize.js';
import type { AppDefinition } from '../../../src/apps/model/app.js';

function app(id: string, extra: Record<string, unknown> = {}): AppDefinition {
  return { ...normalizeApp({ id, cmd: 'sleep 1', instances: 1, ...extra }), version: '2026-01-01T00:00:00.000Z' };
}

function apps(...list: AppDefinition[]): Map<string, AppDefinition> {
  return new Map(list.map((a) => [a.id, a]));
}

const none = new Map<string, GroupMeta>();

describe('group deployment plans (pure)', () => {
  it('orders new apps by dependency layers after a StartApplication placeholder step', () => {
    const after = apps(app('/g/db'), app('/g/api', { dependencies: ['db'] }), app('/g/web', { dependencies: ['/g/api'] }), app('/g/cache'));
    const steps = buildGroupPlan({ before: new Map(), beforeGroups: none, after, afterGroups: none });
    expect(steps).toEqual([
      { actions: ['/g/api', '/g/cache', '/g/db', '/g/web'].map((a) => ({ action: 'StartApplication', app: a })) },
      { actions: [{ action: 'ScaleApplication', app: '/g/cache' }, { action: 'ScaleApplication', app: '/g/db' }] },
      { actions: [{ action: 'ScaleApplication', app: '/g/api' }] },
      { actions: [{ action: 'ScaleApplication', app: '/g/web' }] },
    ]);
  });

  it('stops removed apps in reverse dependency order, before anything starts', () => {
    const before = apps(app('/g/db'), app('/g/api', { dependencies: ['db'] }), app('/keep'));
    const after = apps(app('/keep'), app('/new'));
    const steps = buildGroupPlan({ before, beforeGroups: none, after, afterGroups: none });
    expect(steps).toEqual([
      { actions: [{ action: 'StopApplication', app: '/g/api' }] },
      { actions: [{ action: 'StopApplication', app: '/g/db' }] },
      { actions: [{ action: 'StartApplication', app: '/new' }] },
      { actions: [{ action: 'ScaleApplication', app: '/new' }] },
    ]);
  });

  it('restarts upgraded apps, scales scale-only changes and leaves unchanged apps out', () => {
    const before = apps(app('/a'), app('/b'), app('/c'));
    const after = apps(app('/a', { cmd: 'sleep 2' }), app('/b', { instances: 3 }), app('/c'));
    expect(buildGroupPlan({ before, beforeGroups: none, after, afterGroups: none })).toEqual([
      { actions: [{ action: 'RestartApplication', app: '/a' }, { action: 'ScaleApplication', app: '/b' }] },
    ]);
    expect(buildGroupPlan({ before, beforeGroups: none, after: before, afterGroups: none })).toEqual([]);
  });

  it('applies group dependencies to every app under the group, naming apps or whole groups', () => {
    const after = apps(app('/data/db'), app('/data/queue'), app('/front/web'), app('/front/admin'));
    const groups = new Map<string, GroupMeta>([['/front', { id: '/front', dependencies: ['/data'] }]]);
    const levels = dependencyLevels(after, groups);
    expect(Object.fromEntries(levels ?? [])).toEqual({ '/data/db': 0, '/data/queue': 0, '/front/admin': 1, '/front/web': 1 });
  });

  it('rejects a dependency cycle with a 422 (direct, through groups, or longer)', () => {
    const cyclic = apps(app('/a', { dependencies: ['/b'] }), app('/b', { dependencies: ['/c'] }), app('/c', { dependencies: ['/a'] }));
    expect(dependencyLevels(cyclic, none)).toBeUndefined();
    let err: unknown;
    try {
      buildGroupPlan({ before: new Map(), beforeGroups: none, after: cyclic, afterGroups: none });
    } catch (e: unknown) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(422);
    expect((err as ApiError).body).toEqual({ message: 'Object is not valid', details: [{ path: '/', errors: ['Dependency graph has cyclic dependencies.'] }] });
    const viaGroups = apps(app('/x/one'), app('/y/two'));
    const groups = new Map<string, GroupMeta>([['/x', { id: '/x', dependencies: ['/y'] }], ['/y', { id: '/y', dependencies: ['/x'] }]]);
    expect(dependencyLevels(viaGroups, groups)).toBeUndefined();
    // A self-dependency and a dependency on the app's own group are not cycles.
    expect(dependencyLevels(apps(app('/z/a', { dependencies: ['/z/a', '/z'] })), none)).toEqual(new Map([['/z/a', 0]]));
  });

  it('rounds scaleBy up (ceil) without float noise', () => {
    expect(scaledInstances(10, 0.3)).toBe(3);
    expect(scaledInstances(3, 1.1)).toBe(4);
    expect(scaledInstances(1, 2)).toBe(2);
    expect(scaledInstances(5, 0.5)).toBe(3);
    expect(scaledInstances(4, 0)).toBe(0);
  });
});
