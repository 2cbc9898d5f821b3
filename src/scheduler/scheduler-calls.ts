/**
 * The typed call helpers of SchedulerClient. Each POSTs one Call to the endpoint that accepted the current
 * subscription, with its `Mesos-Stream-Id`, and resolves only on the status upstream promises (202, or 200
 * for UPDATE_FRAMEWORK); anything else raises SchedulerCallError. Outcomes arrive later as events.
 */
import type { FiltersJson, FrameworkInfoJson, KillPolicyJson, TaskInfoJson, TaskStatusJson } from '../api/mesos/common.js';
import type { CallType, OfferOperationJson } from '../api/mesos/scheduler.js';
import { postJson } from '../transport/http-client.js';
import {
  acceptBody,
  acknowledgeBody,
  call,
  declineBody,
  killBody,
  launchOperation,
  messageBody,
  reconcileBody,
  rolesBody,
  shutdownBody,
  updateFrameworkBody,
  type ReconcileTask,
} from './calls.js';
import { NotSubscribedError, SchedulerCallError } from './errors.js';

type NonSubscribe = Exclude<CallType, 'SUBSCRIBE' | 'UNKNOWN'>;

export abstract class SchedulerCalls {
  /** Endpoint of the current subscription (the leader's, after redirects). */
  protected callUrl = '';
  protected streamId: string | undefined;
  protected frameworkId: string | undefined;
  protected frameworkInfo: FrameworkInfoJson | undefined;
  protected signal: AbortSignal | undefined;
  /** Set while and after a TEARDOWN: the end of the stream is then expected, not a disconnection. */
  protected tearingDown = false;

  /** The framework id, known from the first SUBSCRIBED on (or from `info.id` on failover). */
  get id(): string | undefined {
    return this.frameworkId;
  }

  /** The `Mesos-Stream-Id` of the open subscription, undefined between subscriptions. */
  get currentStreamId(): string | undefined {
    return this.streamId;
  }

  /** True while a subscription is open (a stream id is held). */
  get isSubscribed(): boolean {
    return this.streamId !== undefined && this.frameworkId !== undefined;
  }

  /** ACCEPT the offers (all of one agent and role) with operations applied in order. */
  accept(offerIds: readonly string[], operations: readonly OfferOperationJson[], filters?: FiltersJson): Promise<void> {
    return this.send('ACCEPT', acceptBody(offerIds, operations, filters));
  }

  /** ACCEPT with a single LAUNCH of tasks. */
  launch(offerIds: readonly string[], tasks: readonly TaskInfoJson[], filters?: FiltersJson): Promise<void> {
    return this.accept(offerIds, [launchOperation(tasks)], filters);
  }

  decline(offerIds: readonly string[], filters?: FiltersJson): Promise<void> {
    return this.send('DECLINE', declineBody(offerIds, filters));
  }

  /** Roles omitted = every role of the framework. */
  revive(roles?: readonly string[]): Promise<void> {
    return this.send('REVIVE', rolesBody(roles));
  }

  /** Roles omitted = every role of the framework. */
  suppress(roles?: readonly string[]): Promise<void> {
    return this.send('SUPPRESS', rolesBody(roles));
  }

  kill(taskId: string, agentId?: string, killPolicy?: KillPolicyJson): Promise<void> {
    return this.send('KILL', killBody(taskId, agentId, killPolicy));
  }

  acknowledge(agentId: string, taskId: string, uuid: string): Promise<void> {
    return this.send('ACKNOWLEDGE', acknowledgeBody(agentId, taskId, uuid));
  }

  /**
   * Acknowledges an update if it needs it (it carries a uuid and an agent id); master-generated updates
   * (reconciliation, invalid offers) carry none and must not be acknowledged. Returns whether it sent one.
   */
  async acknowledgeUpdate(status: TaskStatusJson): Promise<boolean> {
    if (status.uuid === undefined || status.agent_id === undefined) return false;
    await this.acknowledge(status.agent_id.value, status.task_id.value, status.uuid);
    return true;
  }

  /** Empty list = implicit reconciliation of every task the master knows for this framework. */
  reconcile(tasks: readonly ReconcileTask[] = []): Promise<void> {
    return this.send('RECONCILE', reconcileBody(tasks));
  }

  /**
   * Removes the framework: its tasks are killed and the master closes the stream. The client does not
   * re-subscribe afterwards (a removed framework cannot come back); a failed TEARDOWN changes nothing.
   */
  async teardown(): Promise<void> {
    this.tearingDown = true;
    try {
      await this.send('TEARDOWN', undefined);
    } catch (e: unknown) {
      this.tearingDown = false;
      throw e;
    }
  }

  message(agentId: string, executorId: string, data: Uint8Array | string): Promise<void> {
    return this.send('MESSAGE', messageBody(agentId, executorId, data));
  }

  shutdown(executorId: string, agentId: string): Promise<void> {
    return this.send('SHUTDOWN', shutdownBody(executorId, agentId));
  }

  /** Replaces the FrameworkInfo (200 expected); later re-subscriptions use the new one. */
  async updateFramework(info: FrameworkInfoJson, suppressedRoles?: readonly string[]): Promise<void> {
    const fid = this.requireFrameworkId('UPDATE_FRAMEWORK');
    await this.send('UPDATE_FRAMEWORK', updateFrameworkBody(info, fid, suppressedRoles), 200);
    this.frameworkInfo = { ...info, id: { value: fid } };
  }

  private requireFrameworkId(type: NonSubscribe): string {
    if (this.frameworkId === undefined || this.streamId === undefined) throw new NotSubscribedError(type);
    return this.frameworkId;
  }

  private async send(type: NonSubscribe, body: object | undefined, expected = 202): Promise<void> {
    const fid = this.requireFrameworkId(type);
    const streamId = this.streamId ?? '';
    const res = await postJson(this.callUrl, call(fid, type, body), { 'mesos-stream-id': streamId, accept: 'application/json' }, this.signal);
    if (res.status !== expected) throw new SchedulerCallError(type, res.status, res.body);
  }
}
