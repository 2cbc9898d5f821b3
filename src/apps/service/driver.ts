/**
 * The part of the SDK's SchedulerClient the apps service drives (so unit tests can substitute a recorder).
 * SchedulerClient satisfies it as is.
 */
import type { FiltersJson, KillPolicyJson, TaskInfoJson, TaskStatusJson } from '../../api/mesos/common.js';
import type { ReconcileTask } from '../../scheduler/index.js';

export interface Driver {
  launch(offerIds: readonly string[], tasks: readonly TaskInfoJson[], filters?: FiltersJson): Promise<void>;
  decline(offerIds: readonly string[], filters?: FiltersJson): Promise<void>;
  kill(taskId: string, agentId?: string, killPolicy?: KillPolicyJson): Promise<void>;
  acknowledgeUpdate(status: TaskStatusJson): Promise<boolean>;
  revive(roles?: readonly string[]): Promise<void>;
  reconcile(tasks?: readonly ReconcileTask[]): Promise<void>;
  readonly isSubscribed: boolean;
}
