/**
 * The deployment plan of a root-group change (spec §4.2, ADR 0044), pure: (apps before, apps after, group
 * dependencies) → steps. Removed apps stop first, dependents before what they depend on; new apps get a
 * StartApplication placeholder; then every added or changed app gets its Scale/Restart action in the layer of
 * its longest dependency chain, so an app starts only after everything it depends on has converged.
 * A dependency cycle is a 422, as upstream's root-group validation.
 */
import { notValid } from '../api/errors.js';
import { isUpgrade, type AppDefinition } from '../model/app.js';
import type { DeploymentAction, DeploymentStep } from './deployment.js';

/** Group attributes that are not derived from app ids. */
export interface GroupMeta {
  readonly id: string;
  readonly dependencies: readonly string[];
  readonly enforceRole?: boolean;
}

export type AppMap = ReadonlyMap<string, AppDefinition>;
export type GroupMap = ReadonlyMap<string, GroupMeta>;

export const CYCLE_MESSAGE = 'Dependency graph has cyclic dependencies.';

function isUnder(id: string, group: string): boolean {
  return group === '/' || id.startsWith(`${group}/`);
}

/** Apps named by one dependency id: the app itself, or every app under that group (never `self`). */
function resolve(apps: AppMap, dep: string, self: string): string[] {
  if (apps.has(dep)) return dep === self ? [] : [dep];
  return [...apps.keys()].filter((id) => id !== self && isUnder(id, dep) && !isUnder(self, dep));
}

/** app id → the app ids it depends on: its own `dependencies` plus those of every enclosing group. */
export function dependencyGraph(apps: AppMap, groups: GroupMap): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const app of apps.values()) {
    const deps = new Set<string>();
    for (const d of app.dependencies) for (const x of resolve(apps, d, app.id)) deps.add(x);
    for (const g of groups.values()) {
      if (g.id === app.id || !isUnder(app.id, g.id)) continue;
      for (const d of g.dependencies) for (const x of resolve(apps, d, app.id)) deps.add(x);
    }
    graph.set(app.id, deps);
  }
  return graph;
}

/** Length of each app's longest dependency chain (0 = depends on nothing); undefined on a cycle. */
export function dependencyLevels(apps: AppMap, groups: GroupMap): Map<string, number> | undefined {
  const graph = dependencyGraph(apps, groups);
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number | undefined => {
    const known = level.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return undefined;
    visiting.add(id);
    let l = 0;
    for (const d of graph.get(id) ?? []) {
      const dl = visit(d);
      if (dl === undefined) return undefined;
      l = Math.max(l, dl + 1);
    }
    visiting.delete(id);
    level.set(id, l);
    return l;
  };
  for (const id of [...graph.keys()].sort()) if (visit(id) === undefined) return undefined;
  return level;
}

/** The action a changed app needs (undefined = unchanged). */
export function actionFor(before: AppDefinition | undefined, after: AppDefinition, restart: boolean): DeploymentAction | undefined {
  if (before === undefined) return 'ScaleApplication';
  if (restart || isUpgrade(before, after)) return 'RestartApplication';
  return before.instances !== after.instances ? 'ScaleApplication' : undefined;
}

export interface PlanInput {
  readonly before: AppMap;
  readonly beforeGroups: GroupMap;
  readonly after: AppMap;
  readonly afterGroups: GroupMap;
  /** Apps to restart even when unchanged. */
  readonly restart?: ReadonlySet<string>;
}

function layered(ids: readonly string[], levels: ReadonlyMap<string, number>, action: (id: string) => DeploymentAction | undefined, reverse: boolean): DeploymentStep[] {
  const byLevel = new Map<number, { action: DeploymentAction; app: string }[]>();
  for (const id of [...ids].sort()) {
    const a = action(id);
    if (a === undefined) continue;
    const l = levels.get(id) ?? 0;
    byLevel.set(l, [...(byLevel.get(l) ?? []), { action: a, app: id }]);
  }
  const order = [...byLevel.keys()].sort((x, y) => (reverse ? y - x : x - y));
  return order.map((l) => ({ actions: byLevel.get(l) ?? [] }));
}

/** The steps of a group change (empty steps dropped). Throws a 422 when the target has a dependency cycle. */
export function buildGroupPlan(p: PlanInput): DeploymentStep[] {
  const afterLevels = dependencyLevels(p.after, p.afterGroups);
  if (afterLevels === undefined) throw notValid([{ path: '/', errors: [CYCLE_MESSAGE] }]);
  // The old graph orders the stops; were it cyclic (it never is once validated) they all go in one step.
  const beforeLevels = dependencyLevels(p.before, p.beforeGroups) ?? new Map<string, number>();
  const removed = [...p.before.keys()].filter((id) => !p.after.has(id));
  const added = [...p.after.keys()].filter((id) => !p.before.has(id)).sort();
  const steps: DeploymentStep[] = [
    ...layered(removed, beforeLevels, () => 'StopApplication', true),
    { actions: added.map((app) => ({ action: 'StartApplication' as const, app })) },
    ...layered([...p.after.keys()], afterLevels, (id) => actionFor(p.before.get(id), p.after.get(id) as AppDefinition, p.restart?.has(id) ?? false), false),
  ];
  return steps.filter((s) => s.actions.length > 0);
}

/** Every app the steps act on, in first-seen order. */
export function appsOfSteps(steps: readonly DeploymentStep[]): string[] {
  return [...new Set(steps.flatMap((s) => s.actions.map((a) => a.app)))];
}

/** `instances` after `scaleBy` (spec §2.4: ceil), robust to float noise such as 10 × 0.3 = 3.0000000000000004. */
export function scaledInstances(instances: number, scaleBy: number): number {
  return Math.max(0, Math.ceil(instances * scaleBy - 1e-9));
}
