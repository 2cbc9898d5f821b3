/**
 * The operator event stream (v1 operator SUBSCRIBE, spec §5.9): subscribers and the publish hooks the
 * master actor calls when tasks, agents and frameworks change. A subscriber first gets SUBSCRIBED (full
 * GET_STATE) and an immediate HEARTBEAT, then every event published while it is open, then heartbeats
 * every 15 s. At most `maxSubscribers` streams are kept; the oldest is closed when exceeded.
 * TASK_UPDATED is published only when a task's state changes or an update carries health/check data, so
 * reconciliation answers and repeated updates do not appear.
 */
import type { ServerResponse } from 'node:http';
import type { TaskStateName, TaskStatusJson } from '../../api/mesos/common.js';
import type { MasterEvent } from '../../api/mesos/operator.js';
import { EventStream } from '../../transport/event-stream.js';
import type { Master } from '../master.js';
import type { AgentRec, FrameworkRec, TaskRec } from '../types.js';
import { frameworkInfoJson, getState, v1Agent, v1Framework, v1Task } from './operator-v1-responses.js';

/** Heartbeat interval of operator streams (upstream's fixed 15 s). */
export const OPERATOR_HEARTBEAT_MS = 15_000;

/** Default of upstream's `--max_operator_event_stream_subscribers`. */
export const MAX_OPERATOR_SUBSCRIBERS = 1000;

/** Operator stream subscribers of one master and the hooks that feed them (see the module comment). */
export class OperatorEvents {
  private readonly streams: EventStream[] = [];
  /** Last state published per task (TASK_ADDED or TASK_UPDATED). */
  private readonly published = new WeakMap<TaskRec, TaskStateName>();
  /** Frameworks already announced with FRAMEWORK_ADDED. */
  private readonly announced = new Set<string>();

  constructor(
    private readonly m: Master,
    private readonly maxSubscribers?: number,
  ) {}

  /** The constructor's limit, else the master's `--max_operator_event_stream_subscribers` (read per subscribe: the master's config is set after this object is built). */
  private get limit(): number {
    return Math.max(1, this.maxSubscribers ?? this.m.config.maxOperatorSubscribers ?? MAX_OPERATOR_SUBSCRIBERS);
  }

  /** Number of open subscriber streams. */
  get subscriberCount(): number {
    return this.streams.length;
  }

  /** Starts a subscriber stream on `res` (the route already answered the HTTP checks). */
  subscribe(res: ServerResponse): void {
    const stream: EventStream = new EventStream(res, {
      clock: this.m.clock,
      heartbeatMs: OPERATOR_HEARTBEAT_MS,
      heartbeat: () => ({ type: 'HEARTBEAT' }),
      onClose: () => {
        const i = this.streams.indexOf(stream);
        if (i >= 0) this.streams.splice(i, 1);
      },
    });
    this.streams.push(stream);
    while (this.streams.length > this.limit) this.streams[0]?.close();
    stream.send({ type: 'SUBSCRIBED', subscribed: { get_state: getState(this.m), heartbeat_interval_seconds: OPERATOR_HEARTBEAT_MS / 1000 } });
    stream.send({ type: 'HEARTBEAT' });
  }

  /** Closes every subscriber stream (master stop). */
  closeAll(): void {
    for (const s of [...this.streams]) s.close();
  }

  /** A task was launched or learned from a re-registering agent. */
  taskAdded(task: TaskRec): void {
    if (this.published.has(task)) return;
    this.published.set(task, task.state);
    this.publish(() => ({ type: 'TASK_ADDED', task_added: { task: v1Task(task) } }));
  }

  /** A status update for a framework's task went out (hooked in Master.sendUpdate). */
  taskStatus(fw: FrameworkRec, status: TaskStatusJson): void {
    if (status.reason === 'REASON_RECONCILIATION') return;
    const id = status.task_id.value as TaskRec['id'];
    const task = fw.tasks.get(id) ?? fw.unreachableTasks.get(id) ?? fw.completedTasks.find((t) => t.id === id);
    if (task === undefined) return;
    const changed = this.published.get(task) !== task.state;
    if (!changed && status.healthy === undefined && status.check_status === undefined) return;
    this.published.set(task, task.state);
    const latest = task.latestStatus ?? status;
    const state = task.state;
    this.publish(() => ({ type: 'TASK_UPDATED', task_updated: { framework_id: { value: fw.id }, status: { ...latest }, state } }));
  }

  /** An agent registered, or re-registered after being recovered/unreachable. */
  agentAdded(agent: AgentRec): void {
    this.publish(() => ({ type: 'AGENT_ADDED', agent_added: { agent: v1Agent(this.m, agent) } }));
  }

  /** An agent left (unregistered, marked gone). */
  agentRemoved(agentId: string): void {
    this.publish(() => ({ type: 'AGENT_REMOVED', agent_removed: { agent_id: { value: agentId } } }));
  }

  /** A framework subscribed (ADDED the first time, UPDATED afterwards) or was updated. */
  framework(fw: FrameworkRec): void {
    if (this.announced.has(fw.id)) {
      this.publish(() => ({ type: 'FRAMEWORK_UPDATED', framework_updated: { framework: v1Framework(this.m, fw, false) } }));
      return;
    }
    this.announced.add(fw.id);
    this.publish(() => ({ type: 'FRAMEWORK_ADDED', framework_added: { framework: v1Framework(this.m, fw, false) } }));
  }

  /** A framework was removed (teardown, failover timeout). */
  frameworkRemoved(fw: FrameworkRec): void {
    this.publish(() => ({ type: 'FRAMEWORK_REMOVED', framework_removed: { framework_info: frameworkInfoJson(fw.info) } }));
  }

  /** Builds the event only when someone listens (every status update passes through here). */
  private publish(build: () => MasterEvent): void {
    if (this.streams.length === 0) return;
    const event = build();
    for (const s of [...this.streams]) s.send(event);
  }
}
