/** A recording JobsDriver and helpers to drive a JobEngine under a FakeClock without a master. */
import type { FiltersJson, OfferJson, TaskInfoJson, TaskStatusJson } from '../../../src/api/mesos/common.js';
import type { TaskStateName } from '../../../src/api/mesos/common.js';
import type { ReconcileTask } from '../../../src/scheduler/index.js';
import type { JobsDriver } from '../../../src/jobs/engine/driver.js';

export class FakeDriver implements JobsDriver {
  readonly launched: TaskInfoJson[] = [];
  readonly declined: string[] = [];
  readonly killed: string[] = [];
  readonly reconciled: ReconcileTask[][] = [];
  readonly acked: string[] = [];
  readonly interest: Array<'revive' | 'suppress'> = [];
  failLaunch = false;
  /** How many launched tasks the test has already handled (see runOnce). */
  handled = 0;

  /** The offer ids of each LAUNCH call, in order. */
  readonly launchedOn: string[][] = [];

  async launch(offerIds: readonly string[], tasks: readonly TaskInfoJson[]): Promise<void> {
    if (this.failLaunch) throw new Error('master unreachable');
    this.launched.push(...tasks);
    this.launchedOn.push([...offerIds]);
  }
  async decline(offerIds: readonly string[], _filters?: FiltersJson): Promise<void> {
    this.declined.push(...offerIds);
  }
  async revive(): Promise<void> {
    this.interest.push('revive');
  }
  async suppress(): Promise<void> {
    this.interest.push('suppress');
  }
  async kill(taskId: string): Promise<void> {
    this.killed.push(taskId);
  }
  async reconcile(tasks: readonly ReconcileTask[]): Promise<void> {
    this.reconciled.push([...tasks]);
  }
  async acknowledgeUpdate(status: TaskStatusJson): Promise<boolean> {
    this.acked.push(status.task_id.value);
    return true;
  }
}

let offerSeq = 0;

/** An offer of 4 cpus, 4096 mem, 4096 disk on agent `a1`. */
export function offer(agent = 'a1'): OfferJson {
  offerSeq++;
  return {
    id: { value: `o${offerSeq}` },
    framework_id: { value: 'fw' },
    agent_id: { value: agent },
    hostname: 'host1',
    url: { scheme: 'http', address: { hostname: 'host1', ip: '127.0.0.1', port: 5051 }, path: '/slave(1)' },
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 4 } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 4096 } },
      { name: 'disk', type: 'SCALAR', scalar: { value: 4096 } },
    ],
  };
}

export function status(taskId: string, state: TaskStateName, extra: Partial<TaskStatusJson> = {}): TaskStatusJson {
  return { task_id: { value: taskId }, state, agent_id: { value: 'a1' }, uuid: 'dXVpZA==', ...extra };
}
