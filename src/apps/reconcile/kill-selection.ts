/**
 * Scale-down victims (spec §4.3): by condition weight (Unreachable, Scheduled/Staging, Starting, Running,
 * others), then by age according to killSelection. Pure.
 */
import type { KillSelection } from '../model/app.js';
import type { Instance } from '../model/instance.js';

function weight(i: Instance): number {
  switch (i.state) {
    case 'TASK_UNREACHABLE':
    case 'TASK_LOST':
      return 1;
    case 'SCHEDULED':
    case 'TASK_STAGING':
      return 2;
    case 'TASK_STARTING':
      return 3;
    case 'TASK_RUNNING':
      return 4;
    default:
      return 5;
  }
}

function since(i: Instance): number {
  return i.startedAt ?? i.stagedAt ?? i.scheduledAt;
}

/**
 * The `count` instances to decommission first. With a GROUP_BY field, each victim comes from the currently
 * largest group (ties: the usual order), which evens out the distribution (spec §4.3 step 2).
 */
export function selectVictims(instances: readonly Instance[], count: number, killSelection: KillSelection, groupByField?: string): Instance[] {
  if (count <= 0) return [];
  const sorted = byPreference(instances, killSelection);
  if (groupByField === undefined) return sorted.slice(0, count);
  const field = groupByField === '@hostname' ? 'hostname' : groupByField;
  const remaining = [...sorted];
  const out: Instance[] = [];
  while (out.length < count && remaining.length > 0) {
    const sizes = new Map<string, number>();
    for (const i of remaining) {
      const g = i.fields?.[field] ?? '';
      sizes.set(g, (sizes.get(g) ?? 0) + 1);
    }
    const largest = Math.max(...sizes.values());
    const idx = remaining.findIndex((i) => sizes.get(i.fields?.[field] ?? '') === largest);
    out.push(...remaining.splice(idx, 1));
  }
  return out;
}

function byPreference(instances: readonly Instance[], killSelection: KillSelection): Instance[] {
  return [...instances].sort((a, b) => {
    const w = weight(a) - weight(b);
    if (w !== 0) return w;
    const age = since(b) - since(a); // newer first
    const byAge = killSelection === 'YOUNGEST_FIRST' ? age : -age;
    return byAge !== 0 ? byAge : a.instanceId.localeCompare(b.instanceId);
  });
}
