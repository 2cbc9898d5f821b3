/**
 * The calls the job engine makes to the master: a subset of SchedulerClient's, so the engine runs on the
 * real SDK in production and on a recording fake in unit tests.
 */
import type { FiltersJson, TaskInfoJson, TaskStatusJson } from '../../api/mesos/common.js';
import type { ReconcileTask } from '../../scheduler/index.js';

export interface JobsDriver {
  launch(offerIds: readonly string[], tasks: readonly TaskInfoJson[]): Promise<void>;
  decline(offerIds: readonly string[], filters?: FiltersJson): Promise<void>;
  revive(): Promise<void>;
  suppress(): Promise<void>;
  kill(taskId: string, agentId?: string): Promise<void>;
  reconcile(tasks: readonly ReconcileTask[]): Promise<void>;
  acknowledgeUpdate(status: TaskStatusJson): Promise<boolean>;
}
