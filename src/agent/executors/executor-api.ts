/**
 * The v1 executor API on the agent side (spec §4): SUBSCRIBE (stream, unacknowledged updates and tasks,
 * queued launches), UPDATE (validated, journaled through the agent, ACKNOWLEDGED once durable), MESSAGE
 * and HEARTBEAT. Functions over one executor record, called by the ExecutorManager on the Agent actor's
 * turn; `ctx` is the manager.
 */
import type { ServerResponse } from 'node:http';
import { assertNever } from '../../core/errors.js';
import { EventStream } from '../../transport/event-stream.js';
import { isTerminalState, type TaskInfoJson, type TaskStatusJson } from '../../api/mesos/common.js';
import type { ExecutorCallJson, ExecutorEvent } from '../../api/mesos/executor.js';
import { hasCapability, type TaskRecord } from '../task-record.js';
import { groupTasksForExecutor, queuedTaskIds, type ExecutorRecord } from './executor-record.js';
import type { CallResult, ExecutorHost } from './executor-host.js';

/** Upstream sends executors a HEARTBEAT every 30 minutes. */
const EXECUTOR_HEARTBEAT_MS = 30 * 60_000;

/** What the API functions need from the ExecutorManager. */
export interface ExecutorApiContext {
  readonly host: ExecutorHost;
  tasksOf(e: ExecutorRecord): TaskRecord[];
  shutdown(e: ExecutorRecord): void;
  countMessage(valid: boolean): void;
}

/**
 * SUBSCRIBE: (re)attaches the executor's stream (replacing an older one), replays its unacknowledged
 * updates, ends tasks it never received across an agent restart, sends SUBSCRIBED, then every queued
 * LAUNCH / LAUNCH_GROUP and any kill that could not be delivered while it was away.
 */
export function subscribeExecutor(ctx: ExecutorApiContext, e: ExecutorRecord, call: ExecutorCallJson, res: ServerResponse): void {
  const fw = ctx.host.framework(e.fid);
  if (e.phase === 'terminating' || e.phase === 'terminated' || fw === undefined) {
    res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Executor is terminating');
    return;
  }
  const sub = call.subscribe ?? {};
  for (const u of sub.unacknowledged_updates ?? []) {
    if (validateUpdate(u.status, e.info.executor_id.value) === undefined) update(ctx, e, u.status);
    else ctx.host.countInvalidUpdate();
  }
  if (e.recovered) {
    // Tasks the agent had handed over that the executor never saw: lost across the restart (upstream).
    const unacked = new Set((sub.unacknowledged_tasks ?? []).map((t) => t.task_id.value));
    const queued = new Set(e.queue.flatMap(queuedTaskIds));
    for (const t of ctx.tasksOf(e)) {
      if (t.state !== 'TASK_STAGING' || unacked.has(t.task.task_id.value) || queued.has(t.task.task_id.value)) continue;
      const pa = hasCapability(fw.info, 'PARTITION_AWARE');
      ctx.host.track(ctx.host.agentUpdate(t, { state: pa ? 'TASK_DROPPED' : 'TASK_LOST', source: 'SOURCE_AGENT', reason: 'REASON_AGENT_RESTARTED', message: 'Task launched during agent restart' }));
    }
  }
  e.recovered = false;
  e.timer?.cancel();
  e.timer = undefined;
  const old = e.session;
  e.session = undefined;
  old?.close();
  const stream: EventStream = new EventStream(res, {
    clock: ctx.host.clock,
    heartbeatMs: EXECUTOR_HEARTBEAT_MS,
    heartbeat: () => ({ type: 'HEARTBEAT' }),
    onClose: () => onStreamClosed(ctx, e, stream),
  });
  e.session = stream;
  e.phase = 'running';
  ctx.host.logger.info({ frameworkId: e.fid, executorId: e.info.executor_id.value }, 'executor subscribed');
  send(e, {
    type: 'SUBSCRIBED',
    subscribed: { executor_info: e.info, framework_info: fw.info, agent_info: ctx.host.agentInfo(), container_id: { value: e.containerId } },
  });
  const queue = e.queue;
  e.queue = [];
  for (const q of queue) sendLaunch(ctx.host, e, queuedTaskIds(q), q.kind === 'group');
  for (const t of ctx.tasksOf(e)) if (t.killRequested && !isTerminalState(t.state)) send(e, { type: 'KILL', kill: { task_id: t.task.task_id } });
}

function onStreamClosed(ctx: ExecutorApiContext, e: ExecutorRecord, stream: EventStream): void {
  if (e.session !== stream) return;
  e.session = undefined;
  if (e.phase !== 'running') return;
  ctx.host.logger.info({ frameworkId: e.fid, executorId: e.info.executor_id.value }, 'executor disconnected');
  // A non-checkpointing framework's executor cannot come back (upstream shuts it down).
  if (ctx.host.framework(e.fid)?.info.checkpoint !== true) ctx.shutdown(e);
}

/** UPDATE, MESSAGE, HEARTBEAT (SUBSCRIBE has its own path). */
export function executorCall(ctx: ExecutorApiContext, e: ExecutorRecord, call: ExecutorCallJson): CallResult {
  if (e.phase === 'registering' || e.phase === 'launching') return { status: 403, body: 'Executor is not subscribed' };
  switch (call.type) {
    case 'UPDATE': {
      const st = call.update?.status;
      if (st === undefined) return { status: 400, body: "Expecting 'update' to be present" };
      const invalid = validateUpdate(st, e.info.executor_id.value);
      if (invalid !== undefined) {
        ctx.host.countInvalidUpdate();
        return { status: 400, body: invalid };
      }
      update(ctx, e, st);
      return { status: 202, body: '' };
    }
    case 'MESSAGE': {
      const data = call.message?.data;
      if (data === undefined) return { status: 400, body: "Expecting 'message' to be present" };
      ctx.countMessage(true);
      ctx.host.post({
        type: 'EXECUTOR_MESSAGE',
        ...(ctx.host.agentId() !== undefined ? { agent_id: { value: ctx.host.agentId() ?? '' } } : {}),
        executor_message: { framework_id: { value: e.fid }, executor_id: e.info.executor_id, data },
      });
      return { status: 202, body: '' };
    }
    case 'HEARTBEAT':
      return { status: 202, body: '' };
    case 'SUBSCRIBE':
      return { status: 400, body: 'SUBSCRIBE is handled on its own' };
    case 'UNKNOWN':
      return { status: 501, body: 'Received an unexpected UNKNOWN call' };
    case undefined:
      return { status: 400, body: "Expecting 'type' to be present" };
    default:
      return assertNever(call.type, 'executor call type');
  }
}

/**
 * A status from the executor: a duplicate (same uuid as already recorded) or one for a task already
 * terminal is only acknowledged; otherwise it is journaled and forwarded, then ACKNOWLEDGED to the
 * executor once durable (spec §4.3: independent of the scheduler's acknowledgement).
 */
function update(ctx: ExecutorApiContext, e: ExecutorRecord, raw: TaskStatusJson): void {
  const tid = raw.task_id.value;
  const uuid = raw.uuid ?? '';
  const ack = (): void => void send(e, { type: 'ACKNOWLEDGED', acknowledged: { task_id: raw.task_id, uuid } });
  const t = ctx.host.framework(e.fid)?.tasks.get(tid);
  if (t === undefined || t.executorId !== e.info.executor_id.value || isTerminalState(t.state) || t.latest?.uuid === uuid) {
    if (t === undefined) ctx.host.logger.warn({ frameworkId: e.fid, taskId: tid }, 'status update for a task this executor does not run; acknowledged and dropped');
    ack();
    return;
  }
  e.queue = e.queue.filter((q) => !queuedTaskIds(q).includes(tid));
  const st: TaskStatusJson = {
    ...raw,
    agent_id: { value: ctx.host.agentId() ?? '' },
    executor_id: e.info.executor_id,
    timestamp: raw.timestamp ?? ctx.host.clock.now() / 1000,
    container_status: raw.container_status ?? { container_id: { value: e.containerId } },
  };
  ctx.host.track(ctx.host.executorUpdate(t, st).then(ack));
}

export function sendLaunch(host: ExecutorHost, e: ExecutorRecord, taskIds: readonly string[], group: boolean): void {
  const fw = host.framework(e.fid);
  const tasks: TaskInfoJson[] = [];
  for (const tid of taskIds) {
    const t = fw?.tasks.get(tid);
    if (t !== undefined && !isTerminalState(t.state)) tasks.push(t.task);
  }
  if (tasks.length === 0) return;
  if (group) send(e, { type: 'LAUNCH_GROUP', launch_group: { task_group: { tasks: groupTasksForExecutor(tasks) } } });
  else for (const task of tasks) send(e, { type: 'LAUNCH', launch: { task } });
}

/** Writes one event to the executor's stream; false when it is not connected. */
export function send(e: ExecutorRecord, ev: ExecutorEvent): boolean {
  return e.session?.send(ev) ?? false;
}

/** An executor UPDATE's status must be complete and the executor's own (spec §4.1); the 400 message or undefined. */
export function validateUpdate(st: TaskStatusJson, executorId: string): string | undefined {
  if (st.source !== 'SOURCE_EXECUTOR') return `Received Call from executor '${executorId}' with invalid source, expecting 'SOURCE_EXECUTOR'`;
  if (st.uuid === undefined || Buffer.from(st.uuid, 'base64').length !== 16) return "Expecting 'uuid' to be present (16 bytes)";
  if (st.state === 'TASK_STAGING') return `Received TASK_STAGING from executor '${executorId}' which is not allowed`;
  if (st.executor_id !== undefined && st.executor_id.value !== executorId) return `ExecutorID in Call: '${executorId}' does not match ExecutorID in TaskStatus: '${st.executor_id.value}'`;
  return undefined;
}
