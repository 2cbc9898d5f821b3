/**
 * The framework's roles follow its apps (as Marathon 1.9+ does for enforceRole groups): `--mesos_role` plus
 * every app's role. The initial SUBSCRIBE carries them; when an app brings a new role (or the last app of
 * one goes), the tick sends UPDATE_FRAMEWORK with the new list, which later re-subscriptions keep (SDK).
 * At most one update is in flight; a failed one is retried at the next tick.
 */
import type { FrameworkInfoJson } from '../../api/mesos/common.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { AppDefinition } from '../model/app.js';

/** Sorted, without duplicates. */
export function frameworkRoles(mesosRole: string, apps: Iterable<AppDefinition>): string[] {
  const roles = new Set([mesosRole]);
  for (const a of apps) roles.add(a.role);
  return [...roles].sort();
}

export interface RoleUpdater {
  readonly isSubscribed: boolean;
  updateFramework(info: FrameworkInfoJson): Promise<void>;
}

/** Returns `sync`: call it with the wanted roles (each tick); it updates the framework when they changed. */
export function roleSync(client: RoleUpdater, info: FrameworkInfoJson, log: Logger): (wanted: readonly string[]) => Promise<void> {
  let current = [...(info.roles ?? [])].sort().join('\n');
  let busy = false;
  return async (wanted) => {
    const key = [...wanted].sort().join('\n');
    if (busy || key === current || !client.isSubscribed) return;
    busy = true;
    try {
      await client.updateFramework({ ...info, roles: [...wanted] });
      current = key;
      log.info({ roles: wanted }, 'framework roles updated');
    } catch (e: unknown) {
      log.warn({ err: errorMessage(e) }, 'UPDATE_FRAMEWORK with the apps roles failed; retrying at the next tick');
    } finally {
      busy = false;
    }
  };
}
