/**
 * Master counters (spec §5.8). Counters only ever grow; gauges are computed from state when
 * `/metrics/snapshot` is read (src/master/http/metrics-json.ts).
 */
import type { ReasonName, StatusSource, TaskStateName } from '../api/mesos/common.js';

/** Increments a per-framework counter (published as master/frameworks/<name>/<id>/<key>). */
export function countFramework(fw: { readonly metrics: Map<string, number> }, key: string, by = 1): void {
  fw.metrics.set(key, (fw.metrics.get(key) ?? 0) + by);
}

/** Monotonic master counters by metric name. */
export class Counters {
  private readonly values = new Map<string, number>();

  inc(name: string, by = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + by);
  }

  get(name: string): number {
    return this.values.get(name) ?? 0;
  }

  entries(): IterableIterator<[string, number]> {
    return this.values.entries();
  }

  /** `master/<state>/<source>/<reason>` for every status update the master generates or relays. */
  countStatus(state: TaskStateName, source: StatusSource | undefined, reason: ReasonName | undefined): void {
    if (source === undefined || reason === undefined) return;
    this.inc(`master/${state.toLowerCase()}/${source.toLowerCase()}/${reason.toLowerCase()}`);
  }

  /** Terminal-state counters (`master/tasks_finished`...), counted once per task. */
  countTerminal(state: TaskStateName): void {
    this.inc(`master/tasks_${state.slice('TASK_'.length).toLowerCase()}`);
  }
}

/** Every counter name that must appear even when zero. */
export const ZERO_COUNTERS: readonly string[] = [
  'master/tasks_finished',
  'master/tasks_failed',
  'master/tasks_killed',
  'master/tasks_lost',
  'master/tasks_error',
  'master/tasks_dropped',
  'master/tasks_gone',
  'master/tasks_gone_by_operator',
  'master/slave_registrations',
  'master/slave_reregistrations',
  'master/slave_removals',
  'master/slave_removals/reason_registered',
  'master/slave_removals/reason_unhealthy',
  'master/slave_removals/reason_unregistered',
  'master/slave_unreachable_scheduled',
  'master/slave_unreachable_completed',
  'master/slave_unreachable_canceled',
  'master/slave_shutdowns_scheduled',
  'master/slave_shutdowns_completed',
  'master/slave_shutdowns_canceled',
  'master/recovery_slave_removals',
  'master/messages_register_framework',
  'master/messages_reregister_framework',
  'master/messages_unregister_framework',
  'master/messages_deactivate_framework',
  'master/messages_kill_task',
  'master/messages_status_update_acknowledgement',
  'master/messages_resource_request',
  'master/messages_launch_tasks',
  'master/messages_decline_offers',
  'master/messages_revive_offers',
  'master/messages_suppress_offers',
  'master/messages_reconcile_tasks',
  'master/messages_framework_to_executor',
  'master/messages_executor_to_framework',
  'master/messages_register_slave',
  'master/messages_reregister_slave',
  'master/messages_unregister_slave',
  'master/messages_status_update',
  'master/messages_exited_executor',
  'master/messages_update_slave',
  'master/messages_authenticate',
  'master/messages_operation_status_update',
  'master/messages_operation_status_update_acknowledgement',
  'master/messages_reconcile_operations',
  'master/valid_framework_to_executor_messages',
  'master/invalid_framework_to_executor_messages',
  'master/valid_executor_to_framework_messages',
  'master/invalid_executor_to_framework_messages',
  'master/valid_status_updates',
  'master/invalid_status_updates',
  'master/valid_status_update_acknowledgements',
  'master/invalid_status_update_acknowledgements',
  'master/dropped_messages',
  'allocator/mesos/allocation_runs',
];
