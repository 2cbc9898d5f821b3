/**
 * One simulated agent: speaks the agent protocol (ADR 0003) like the real agent — SUBSCRIBE with a stable
 * agent id and every task it holds, PONG to each PING, one STATUS_UPDATE queue per task whose head is
 * re-sent until the master relays the ACKNOWLEDGE — but "runs" tasks instantly (no executor, no process).
 * It re-subscribes on stream loss with jittered exponential back-off, restarting from a short jitter when
 * the fleet reports a new leading master.
 */
import type { Dispatcher } from 'undici';
import type { Clock, Timer } from '../core/clock.js';
import type { Rng } from '../core/rng.js';
import type { Logger } from '../core/log.js';
import { errorMessage } from '../core/errors.js';
import { newStatusUuid } from '../core/ids.js';
import { MESOS_VERSION } from '../core/version.js';
import type { AgentInfoJson, FrameworkInfoJson, TaskInfoJson, TaskStatusJson } from '../api/mesos/common.js';
import { isTerminalState } from '../api/mesos/common.js';
import {
  AGENT_API_PATH,
  AGENT_PROTOCOL_VERSION,
  AGENT_STREAM_HEADER,
  type AgentCallJson,
  type AgentEvent,
  type AgentTaskReportJson,
} from '../api/agora/agent-protocol.js';
import { AGENT_CAPABILITIES } from '../agent/registration.js';
import { StreamHttpError } from '../transport/stream-client.js';
import { openSimStream, postCall, streamDispatcherForAgent } from './sim-http.js';

type TaskState = TaskStatusJson['state'];

function failureCause(e: unknown): string {
  if (e instanceof StreamHttpError) return String(e.status);
  const code = (e as { code?: unknown; cause?: { code?: unknown } }).code ?? (e as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === 'string' ? code : e instanceof Error ? e.name : 'error';
}

/** What a simulated task does once launched: keep running, or end FINISHED / FAILED after `finishDelayMs`. */
export type TaskBehaviour = 'run' | 'finish' | 'fail';

/** Shared by every agent of a fleet (owned by the Fleet). */
export interface SimContext {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly logger: Logger;
  /** Pool for STATUS_UPDATE calls. */
  readonly calls: Dispatcher;
  /** Separate pool for PONGs, so that a burst of updates never delays them past the next PING. */
  readonly pongs: Dispatcher;
  readonly signal: AbortSignal;
  /** `http://host:port` of the master to talk to now, or undefined while no leader is known. */
  masterBase(): string | undefined;
  /** Takes a registration slot (bounded concurrency); resolves with its release. */
  acquire(): Promise<() => void>;
  readonly behaviour: (task: TaskInfoJson) => TaskBehaviour;
  readonly finishDelayMs: number;
  /** Whether TASK_RUNNING of a task carrying a `health_check` says `healthy: true` (the check "passed"). */
  readonly reportHealthy?: boolean;
  readonly backoffMs: number;
  readonly backoffMaxMs: number;
  /** First re-send interval of an unacknowledged update. */
  readonly statusRetryMs: number;
  readonly stats: SimCounters;
  /** Called on each REGISTERED, and when a stream that was registered ends. */
  onRegistered(agent: SimAgent): void;
  onUnregistered(agent: SimAgent): void;
}

/** Counters shared by the fleet. */
export interface SimCounters {
  registrations: number;
  reregistrations: number;
  updatesSent: number;
  updatesAcked: number;
  subscribeFailures: number;
  /** Failed SUBSCRIBEs by cause: HTTP status, or the error code (ECONNREFUSED, ...). */
  readonly failuresByCause: Record<string, number>;
}

interface SimTask {
  readonly fid: string;
  readonly info: TaskInfoJson;
  state: TaskState;
  latest: TaskStatusJson | undefined;
  /** Unacknowledged updates, oldest first; the head is the one on the wire. */
  readonly queue: TaskStatusJson[];
  /** When the head was last sent (undefined: not sent on the current stream). */
  sentAt: number | undefined;
  /** Wait before re-sending the head: starts at the fleet's retry interval, doubles up to 10 min (as the agent's). */
  retryMs: number;
}

const MAX_STATUS_RETRY_MS = 600_000;

export class SimAgent {
  private agentId: string | undefined;
  private streamId: string | undefined;
  private readonly tasksByKey = new Map<string, SimTask>();
  private readonly frameworks = new Map<string, FrameworkInfoJson>();
  private readonly dispatcher = streamDispatcherForAgent();
  private current: AbortController | undefined;
  private attempt = 0;
  private wake: { timer: Timer; resolve: () => void } | undefined;
  private flushQueued = false;
  private loop: Promise<void> | undefined;
  private shutDown = false;

  constructor(
    private readonly ctx: SimContext,
    readonly hostname: string,
    private readonly info: AgentInfoJson,
  ) {}

  get id(): string | undefined {
    return this.agentId;
  }

  /** True while it holds a stream on which it was REGISTERED. */
  get registered(): boolean {
    return this.streamId !== undefined && this.agentId !== undefined && this.isRegistered;
  }
  private isRegistered = false;

  start(): void {
    this.loop ??= this.run();
  }

  /** Tasks whose status updates are not all acknowledged yet. */
  unacknowledged(): number {
    let n = 0;
    for (const t of this.tasksByKey.values()) if (t.queue.length > 0) n++;
    return n;
  }

  /** Tasks it holds, with their current state. */
  *tasks(): Iterable<{ frameworkId: string; taskId: string; state: TaskState; agentId: string | undefined }> {
    for (const t of this.tasksByKey.values()) yield { frameworkId: t.fid, taskId: t.info.task_id.value, state: t.state, agentId: this.agentId };
  }

  /** A new leading master (`base` = http://host:port): drop a stream to another master, re-register after a short jitter. */
  leaderChanged(base: string): void {
    this.attempt = 0;
    if (!this.callUrl.startsWith(`${base}/`)) this.current?.abort(new Error('leader changed'));
    if (this.wake !== undefined) this.rearm(Math.round(this.ctx.rng.next() * this.ctx.backoffMs));
  }

  /** Re-sends heads not acknowledged in time (reliable updates, spec §6.6), doubling each head's wait. */
  retryDue(now: number): void {
    let due = false;
    for (const t of this.tasksByKey.values()) {
      if (t.queue.length > 0 && t.sentAt !== undefined && now - t.sentAt >= t.retryMs) {
        t.sentAt = undefined;
        t.retryMs = Math.min(MAX_STATUS_RETRY_MS, t.retryMs * 2);
        due = true;
      }
    }
    if (due) this.scheduleFlush();
  }

  /** Closes its stream and stops; tasks are forgotten (a simulated agent has no work dir). */
  async stop(): Promise<void> {
    this.current?.abort(new Error('stopped'));
    this.wake?.timer.cancel();
    this.wake?.resolve();
    await this.loop;
    await this.dispatcher.destroy();
  }

  private subscribeCall(): AgentCallJson {
    const tasks: AgentTaskReportJson[] = [];
    const fws = new Set<string>();
    for (const t of this.tasksByKey.values()) {
      fws.add(t.fid);
      const head = t.queue[0];
      tasks.push({
        framework_id: { value: t.fid },
        executor_id: { value: t.info.task_id.value },
        task: t.info,
        state: t.state,
        ...(t.latest !== undefined ? { latest_status: t.latest } : {}),
        ...(head !== undefined ? { unacked_state: head.state, ...(head.uuid !== undefined ? { unacked_uuid: head.uuid } : {}) } : {}),
      });
    }
    const id = this.agentId;
    return {
      type: 'SUBSCRIBE',
      ...(id !== undefined ? { agent_id: { value: id } } : {}),
      subscribe: {
        version: AGENT_PROTOCOL_VERSION,
        agent_info: { ...this.info, ...(id !== undefined ? { id: { value: id } } : {}) },
        capabilities: AGENT_CAPABILITIES,
        frameworks: [...fws].flatMap((f) => {
          const info = this.frameworks.get(f);
          return info === undefined ? [] : [info];
        }),
        tasks,
        agent_version: MESOS_VERSION,
      },
    };
  }

  private async run(): Promise<void> {
    const signal = this.ctx.signal;
    while (!signal.aborted && !this.shutDown) {
      await this.session();
      if (signal.aborted || this.shutDown) break;
      const cap = Math.min(this.ctx.backoffMaxMs, this.ctx.backoffMs * 2 ** this.attempt);
      this.attempt = Math.min(this.attempt + 1, 30);
      await this.pause(Math.round(cap * this.ctx.rng.next()));
    }
  }

  /** One SUBSCRIBE and its stream, until it ends. The registration slot is held until REGISTERED or failure. */
  private async session(): Promise<void> {
    const release = await this.ctx.acquire();
    // Read after queueing for a slot: the leader may have changed meanwhile.
    const base = this.ctx.masterBase();
    if (base === undefined) return release();
    let released = false;
    const free = (): void => {
      if (!released) release();
      released = true;
    };
    const ctl = new AbortController();
    this.current = ctl;
    // No listener on the fleet's signal: with thousands of them every add/remove scans the list (it made
    // the fleet's event loop stall for seconds at 3k agents); stop() aborts `current` instead.
    try {
      if (this.ctx.signal.aborted) return;
      const stream = openSimStream({
        url: `${base}${AGENT_API_PATH}`,
        body: this.subscribeCall(),
        dispatcher: this.dispatcher,
        signal: ctl.signal,
        onHeaders: (h, url) => {
          const id = h[AGENT_STREAM_HEADER];
          this.streamId = typeof id === 'string' ? id : undefined;
          this.callUrl = url;
        },
      });
      for await (const ev of stream) {
        if ((ev as AgentEvent).type === 'REGISTERED') free();
        this.onEvent(ev as AgentEvent);
      }
    } catch (e: unknown) {
      if (!ctl.signal.aborted) {
        this.ctx.stats.subscribeFailures++;
        const cause = failureCause(e);
        this.ctx.stats.failuresByCause[cause] = (this.ctx.stats.failuresByCause[cause] ?? 0) + 1;
        this.ctx.logger.debug({ agent: this.hostname, err: errorMessage(e) }, 'simulated agent stream failed');
      }
    } finally {
      free();
      this.streamId = undefined;
      if (this.isRegistered) this.ctx.onUnregistered(this);
      this.isRegistered = false;
      this.current = undefined;
      for (const t of this.tasksByKey.values()) t.sentAt = undefined;
    }
  }

  private callUrl = '';

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = { timer: this.ctx.clock.after(ms, () => this.finishPause()), resolve };
    });
  }

  private rearm(ms: number): void {
    if (this.wake === undefined) return;
    this.wake.timer.cancel();
    this.wake.timer = this.ctx.clock.after(ms, () => this.finishPause());
  }

  private finishPause(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.resolve();
  }

  private onEvent(ev: AgentEvent): void {
    switch (ev.type) {
      case 'REGISTERED': {
        const again = this.agentId !== undefined;
        this.agentId = ev.registered.agent_id.value;
        this.isRegistered = true;
        this.attempt = 0;
        if (again) this.ctx.stats.reregistrations++;
        else this.ctx.stats.registrations++;
        this.ctx.onRegistered(this);
        this.scheduleFlush();
        return;
      }
      case 'PING':
        void this.post({ type: 'PONG' });
        return;
      case 'RUN_TASK':
        this.frameworks.set(ev.run_task.framework.id?.value ?? '', ev.run_task.framework);
        this.launch(ev.run_task.framework.id?.value ?? '', ev.run_task.task);
        return;
      case 'RUN_TASK_GROUP':
        this.frameworks.set(ev.run_task_group.framework.id?.value ?? '', ev.run_task_group.framework);
        for (const t of ev.run_task_group.task_group.tasks) this.launch(ev.run_task_group.framework.id?.value ?? '', t);
        return;
      case 'KILL_TASK': {
        const t = this.tasksByKey.get(`${ev.kill_task.framework_id.value}/${ev.kill_task.task_id.value}`);
        if (t !== undefined && !isTerminalState(t.state)) this.transition(t, 'TASK_KILLED');
        return;
      }
      case 'ACKNOWLEDGE':
        this.acknowledge(ev.acknowledge.framework_id.value, ev.acknowledge.task_id.value, ev.acknowledge.uuid);
        return;
      case 'SHUTDOWN_FRAMEWORK': {
        // No update needs to reach a removed framework: its tasks are simply dropped.
        const fid = ev.shutdown_framework.framework_id.value;
        for (const [k, t] of this.tasksByKey) if (t.fid === fid) this.tasksByKey.delete(k);
        this.frameworks.delete(fid);
        return;
      }
      case 'SHUTDOWN':
        this.ctx.logger.warn({ agent: this.hostname, message: ev.shutdown.message }, 'simulated agent told to shut down');
        this.shutDown = true;
        this.current?.abort(new Error('shutdown'));
        return;
      case 'ERROR':
        this.ctx.logger.warn({ agent: this.hostname, error: ev.error }, 'master sent an error');
        return;
      case 'SHUTDOWN_EXECUTOR':
      case 'FRAMEWORK_MESSAGE':
      case 'UPDATE_FRAMEWORK':
      case 'CHECKPOINT_RESOURCES':
        return;
    }
  }

  private launch(fid: string, info: TaskInfoJson): void {
    const key = `${fid}/${info.task_id.value}`;
    if (this.tasksByKey.has(key)) return;
    const t: SimTask = { fid, info, state: 'TASK_STAGING', latest: undefined, queue: [], sentAt: undefined, retryMs: this.ctx.statusRetryMs };
    this.tasksByKey.set(key, t);
    this.transition(t, 'TASK_RUNNING', this.ctx.reportHealthy === true && info.health_check !== undefined ? true : undefined);
    const behaviour = this.ctx.behaviour(info);
    if (behaviour === 'run') return;
    const end: TaskState = behaviour === 'finish' ? 'TASK_FINISHED' : 'TASK_FAILED';
    if (this.ctx.finishDelayMs <= 0) this.transition(t, end);
    else this.ctx.clock.after(this.ctx.finishDelayMs, () => {
      if (this.tasksByKey.get(key) === t && !isTerminalState(t.state)) this.transition(t, end);
    });
  }

  private transition(t: SimTask, state: TaskState, healthy?: boolean): void {
    const status: TaskStatusJson = {
      task_id: t.info.task_id,
      state,
      source: 'SOURCE_EXECUTOR',
      executor_id: { value: t.info.task_id.value },
      timestamp: this.ctx.clock.now() / 1000,
      uuid: newStatusUuid(),
      ...(this.agentId !== undefined ? { agent_id: { value: this.agentId } } : {}),
      ...(healthy !== undefined ? { healthy } : {}),
    };
    t.state = state;
    t.latest = status;
    t.queue.push(status);
    if (t.queue.length === 1) this.scheduleFlush();
  }

  private acknowledge(fid: string, tid: string, uuid: string): void {
    const key = `${fid}/${tid}`;
    const t = this.tasksByKey.get(key);
    if (t === undefined || t.queue[0]?.uuid !== uuid) return;
    t.queue.shift();
    t.sentAt = undefined;
    t.retryMs = this.ctx.statusRetryMs;
    this.ctx.stats.updatesAcked++;
    if (t.queue.length > 0) this.scheduleFlush();
    else if (isTerminalState(t.state)) this.tasksByKey.delete(key);
  }

  /** Coalesces every unsent head into one STATUS_UPDATE call (as the real agent does for bursts). */
  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      if (!this.isRegistered) return;
      const now = this.ctx.clock.now();
      const batch: NonNullable<AgentCallJson['status_updates']> = [];
      for (const t of this.tasksByKey.values()) {
        const head = t.queue[0];
        if (head === undefined || t.sentAt !== undefined) continue;
        t.sentAt = now;
        batch.push({ framework_id: { value: t.fid }, status: head, latest_state: t.state });
      }
      if (batch.length === 0) return;
      this.ctx.stats.updatesSent += batch.length;
      void this.post({ type: 'STATUS_UPDATE', status_updates: batch });
    });
  }

  private async post(call: Omit<AgentCallJson, 'agent_id'>): Promise<void> {
    const streamId = this.streamId;
    const id = this.agentId;
    if (streamId === undefined || id === undefined) return;
    try {
      const pool = call.type === 'PONG' ? this.ctx.pongs : this.ctx.calls;
      const res = await postCall(this.callUrl, { ...call, agent_id: { value: id } }, { [AGENT_STREAM_HEADER]: streamId }, pool);
      if (res.status === 403 && streamId === this.streamId) this.current?.abort(new Error('not subscribed'));
    } catch (e: unknown) {
      if (!this.ctx.signal.aborted) this.ctx.logger.debug({ agent: this.hostname, err: errorMessage(e), type: call.type }, 'simulated agent call failed');
    }
  }
}
