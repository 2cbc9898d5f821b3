/**
 * Event payloads of the spec §4.13 catalog that several places publish, so their fields stay identical:
 * health changes (health_status_changed_event + instance_health_changed_event), health check registration
 * (add/remove_health_check_event) and terminal updates for unknown instances.
 */
import type { AppDefinition } from '../model/app.js';
import type { EventBus } from './bus.js';

/** An instance's alive flag flipped: the legacy app-level event and the instance-level one. */
export function publishHealthChange(bus: EventBus, i: { appId: string; instanceId: string; appVersion: string }, alive: boolean): void {
  bus.publish('health_status_changed_event', { appId: i.appId, instanceId: i.instanceId, version: i.appVersion, alive });
  bus.publish('instance_health_changed_event', { instanceId: i.instanceId, runSpecId: i.appId, healthy: alive, runSpecVersion: i.appVersion });
}

/**
 * Health checks registered or removed by an app change: remove_health_check_event when the old definition had
 * checks, add_health_check_event per check of the new one. Nothing when the checks are unchanged (a scale, or
 * a restart that keeps them).
 */
export function publishHealthCheckChanges(bus: EventBus, before: AppDefinition | undefined, after: AppDefinition | undefined): void {
  const same = before !== undefined && after !== undefined && JSON.stringify(before.healthChecks) === JSON.stringify(after.healthChecks);
  if (same) return;
  if (before !== undefined && before.healthChecks.length > 0) bus.publish('remove_health_check_event', { appId: before.id });
  if (after === undefined) return;
  for (const healthCheck of after.healthChecks) bus.publish('add_health_check_event', { appId: after.id, healthCheck, version: after.version });
}

/** A terminal update for a task this framework does not know (spec §4.13 unknown_instance_terminated_event). */
export function publishUnknownTerminated(bus: EventBus, taskId: string, condition: string): void {
  const instanceId = taskId.replace(/\._app\.\d+$/, '');
  const safe = instanceId.split('.instance-')[0] ?? instanceId;
  bus.publish('unknown_instance_terminated_event', { instanceId, runSpecId: `/${safe.split('_').join('/')}`, condition });
}
