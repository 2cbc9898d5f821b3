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

/** Marathon's condition name of an instance state (as runtime.ts's conditionOf; SCHEDULED → Scheduled). */
function conditionName(state: string): string {
  if (state === 'SCHEDULED') return 'Scheduled';
  if (state === 'TASK_LOST' || state === 'TASK_UNREACHABLE') return 'Unreachable';
  if (state === 'TASK_GONE_BY_OPERATOR') return 'Gone';
  const word = state.replace(/^TASK_/, '').toLowerCase();
  return word.charAt(0).toUpperCase() + word.slice(1);
}

interface InstanceLike {
  readonly instanceId: string;
  readonly appId: string;
  readonly appVersion: string;
  readonly state: string;
  readonly goal: 'running' | 'decommissioned';
  readonly agentId?: string;
  readonly host?: string;
}

function instanceChanged(bus: EventBus, i: InstanceLike, condition: string, goal: InstanceLike['goal']): void {
  bus.publish('instance_changed_event', {
    instanceId: i.instanceId, condition, runSpecId: i.appId, agentId: i.agentId ?? null, host: i.host ?? null,
    runSpecVersion: i.appVersion, goal: goal === 'running' ? 'Running' : 'Decommissioned',
  });
}

/**
 * instance_changed_event for the changes the framework makes itself (status updates publish their own, in
 * runtime.ts): an instance scheduled, launched (condition `Provisioned` until its first status, as upstream),
 * put back to scheduled after a failed launch, or given a new goal (decommissioned for a kill), and a
 * scheduled instance dropped before launch. Transitions between two task states come from status updates and
 * are not published here, so no change is announced twice.
 */
export function publishInstanceChange(bus: EventBus, before: InstanceLike | undefined, after: InstanceLike | undefined): void {
  if (after === undefined) {
    if (before?.state === 'SCHEDULED') instanceChanged(bus, before, 'Scheduled', 'decommissioned');
    return;
  }
  if (before === undefined) return instanceChanged(bus, after, conditionName(after.state), after.goal);
  const launched = before.state === 'SCHEDULED' && after.state !== 'SCHEDULED';
  const rescheduled = before.state !== 'SCHEDULED' && after.state === 'SCHEDULED';
  if (launched) instanceChanged(bus, after, 'Provisioned', after.goal);
  else if (rescheduled || before.goal !== after.goal) instanceChanged(bus, after, conditionName(after.state), after.goal);
}
