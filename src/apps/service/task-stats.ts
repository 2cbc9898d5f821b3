/**
 * `embed=apps.taskStats` (spec §2.1.2, §3.6): TaskStatsByVersion of an app, as upstream's
 * TaskStatsByVersion: `startedAfterLastScaling` (running since after versionInfo.lastScalingAt),
 * `withLatestConfig` / `withOutdatedConfig` (created for a version at/after, or before,
 * versionInfo.lastConfigChangeAt), `totalSummary` (all). A key is omitted when no instance falls in it, and
 * `lifeTime` when none of them runs. Pure.
 */
import type { AppDefinition } from '../model/app.js';
import type { Instance } from '../model/instance.js';
import { counts } from './views.js';

function lifeTime(instances: readonly Instance[], now: number): Record<string, number> | undefined {
  const ages = instances.flatMap((i) => (i.state === 'TASK_RUNNING' && i.startedAt !== undefined ? [Math.max(0, now - i.startedAt) / 1000] : [])).sort((a, b) => a - b);
  if (ages.length === 0) return undefined;
  const mid = Math.floor(ages.length / 2);
  const median = ages.length % 2 === 1 ? (ages[mid] ?? 0) : ((ages[mid - 1] ?? 0) + (ages[mid] ?? 0)) / 2;
  return { averageSeconds: ages.reduce((s, a) => s + a, 0) / ages.length, medianSeconds: median };
}

function stats(instances: readonly Instance[], now: number): Record<string, unknown> | undefined {
  if (instances.length === 0) return undefined;
  const c = counts(instances);
  const life = lifeTime(instances, now);
  return {
    stats: {
      counts: { staged: c['tasksStaged'], running: c['tasksRunning'], healthy: c['tasksHealthy'], unhealthy: c['tasksUnhealthy'] },
      ...(life !== undefined ? { lifeTime: life } : {}),
    },
  };
}

/** The `tasksStats` object of an app (instances still scheduled count as staged, like the app's counts). */
export function taskStatsJson(app: AppDefinition, instances: readonly Instance[], now: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (key: string, of: readonly Instance[]): void => {
    const s = stats(of, now);
    if (s !== undefined) out[key] = s;
  };
  const vi = app.versionInfo;
  if (vi !== undefined) {
    const scaledAt = Date.parse(vi.lastScalingAt);
    const configAt = Date.parse(vi.lastConfigChangeAt);
    put('startedAfterLastScaling', instances.filter((i) => i.startedAt !== undefined && i.startedAt > scaledAt));
    put('withLatestConfig', instances.filter((i) => Date.parse(i.appVersion) >= configAt));
    put('withOutdatedConfig', instances.filter((i) => Date.parse(i.appVersion) < configAt));
  }
  put('totalSummary', instances);
  return out;
}
