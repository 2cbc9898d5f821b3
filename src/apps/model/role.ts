/**
 * The default role of an app that names none (Marathon 1.9+, spec §3.1 `role`): the top-level group's name
 * when that group has `enforceRole: true`, `--mesos_role` otherwise. An explicit `role` (or the current one,
 * on an update) always wins; normalizeApp applies this default.
 */
import type { GroupMeta } from '../deploy/group-plan.js';

export function defaultRoleFor(appId: string, groups: ReadonlyMap<string, GroupMeta>, mesosRole: string): string {
  const top = appId.split('/').find((s) => s !== '');
  // An app directly under the root has no top-level group of its own (its id's only segment is itself).
  if (top === undefined || appId.split('/').filter((s) => s !== '').length < 2) return mesosRole;
  return groups.get(`/${top}`)?.enforceRole === true ? top : mesosRole;
}
