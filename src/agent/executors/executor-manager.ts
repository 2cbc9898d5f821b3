/**
 * Executors on this agent (spec §4): starts a custom executor once per executor id (its CommandInfo
 * through the posix launcher), queues its tasks until it subscribes, serves its v1 executor API session
 * (executor-api.ts: SUBSCRIBE stream, UPDATE, MESSAGE, HEARTBEAT), relays framework messages both ways, enforces the
 * registration / re-registration timeouts and the shutdown grace period, and on its exit ends its
 * unfinished tasks (TASK_FAILED, REASON_EXECUTOR_TERMINATED or the agent's own termination reason) and
 * tells the master (EXITED_EXECUTOR). The built-in default executor of task groups is bookkept here too
 * (sandbox, exit when its last task ended); its tasks run as the agent's own processes (ADR 0009).
 *
 * Part of the Agent actor: every method runs on the agent's turn and mutates only executor records and
 * the tasks the host hands over; I/O goes through the host.
 */
import { mkdir } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { constants as osConstants } from 'node:os';
import { errorMessage } from '../../core/errors.js';
import { formatDuration } from '../../core/duration.js';
import { newUuid } from '../../core/ids.js';
import { isTerminalState, type ExecutorInfoJson, type FrameworkInfoJson, type KillPolicyJson, type ResourceJson } from '../../api/mesos/common.js';
import type { ExecutorCallJson } from '../../api/mesos/executor.js';
import type { ExitStatus } from '../containerizer/launcher.js';
import { linkLatestRun, sandboxPath } from '../checkpoint/recovery.js';
import type { ExecutorCheckpoint } from '../replay.js';
import type { FrameworkRecord, TaskRecord } from '../task-record.js';
import { executorEnvironment, executorKey, executorKind, queuedTaskIds, terminationMessage, waitStatusOf, type ExecutorRecord } from './executor-record.js';
import type { CallResult, ExecutorHost } from './executor-host.js';
import { executorCall, send, sendLaunch, subscribeExecutor } from './executor-api.js';

export type { CallResult, ExecutorHost } from './executor-host.js';
export { validateUpdate } from './executor-api.js';

const MAX_COMPLETED_EXECUTORS = 150;
const SIGNALS = osConstants.signals as unknown as Readonly<Record<string, number>>;

export class ExecutorManager {
  private readonly executors = new Map<string, ExecutorRecord>();
  private readonly byContainer = new Map<string, ExecutorRecord>();
  /** Ended executor runs, oldest first (bounded), for views. */
  readonly completed: ExecutorRecord[] = [];
  validMessages = 0;
  invalidMessages = 0;
  private stopped = false;

  constructor(readonly host: ExecutorHost) {}

  /** The live executor of a framework with that id. */
  get(fid: string, eid: string): ExecutorRecord | undefined {
    return this.executors.get(executorKey(fid, eid));
  }

  /** Every live executor run. */
  list(): Iterable<ExecutorRecord> {
    return this.executors.values();
  }

  /** Live runs to checkpoint (journal compaction). */
  checkpoints(): ExecutorCheckpoint[] {
    return [...this.executors.values()].map((e) => ({ fid: e.fid, info: e.info, cid: e.containerId, dir: e.sandbox, pid: e.supervisorPid }));
  }

  /** True when the container is an executor's (its exit is handled here). */
  ownsContainer(cid: string): boolean {
    return this.byContainer.has(cid);
  }

  // ---- launching -----------------------------------------------------------------------------

  /**
   * The executor a task (or group) goes to: the live run of that id, else a new one. Undefined when the
   * run is terminating (the caller ends the tasks); the caller has already added the tasks to `fw`.
   */
  ensure(fw: FrameworkRecord, info: ExecutorInfoJson): ExecutorRecord | undefined {
    const fid = fw.info.id?.value ?? '';
    const eid = info.executor_id.value;
    const live = this.get(fid, eid);
    if (live !== undefined) return live.phase === 'terminating' || live.phase === 'terminated' ? undefined : live;
    const agentId = this.host.agentId() ?? '';
    const containerId = newUuid();
    const e: ExecutorRecord = {
      fid,
      info,
      kind: executorKind(info),
      containerId,
      sandbox: sandboxPath(this.host.config.workDir, agentId, fid, eid, containerId),
      phase: executorKind(info) === 'default' ? 'running' : 'launching',
      supervisorPid: undefined,
      session: undefined,
      queue: [],
      timer: undefined,
      termination: undefined,
      recovered: false,
      exit: undefined,
    };
    this.executors.set(executorKey(fid, eid), e);
    this.host.track(this.host.append({ k: 'exec', fid, info, cid: containerId, dir: e.sandbox }));
    if (e.kind === 'custom') {
      this.byContainer.set(containerId, e);
      this.host.track(this.launch(e, fw.info));
    } else {
      this.host.track(this.prepareDefault(e));
    }
    return e;
  }

  /** Hands tasks (already in the framework record) to a custom executor: now if subscribed, else queued. */
  deliver(e: ExecutorRecord, taskIds: readonly string[], group: boolean): void {
    const q = group ? { kind: 'group' as const, taskIds } : { kind: 'task' as const, taskId: taskIds[0] ?? '' };
    // A running executor's container grows to hold its new tasks (the launch sized it for the first ones).
    if (e.supervisorPid !== undefined) this.host.track(this.host.launcher.update(e.containerId, this.containerResources(e)));
    if (e.phase === 'running' && e.session?.isOpen === true) sendLaunch(this.host, e, q.kind === 'group' ? q.taskIds : [q.taskId], group);
    else e.queue.push(q);
  }

  /** What an executor's container holds: its own resources plus those of its live tasks. */
  private containerResources(e: ExecutorRecord): ResourceJson[] {
    return [...(e.info.resources ?? []), ...this.tasksOf(e).filter((t) => !isTerminalState(t.state)).flatMap((t) => t.task.resources ?? [])];
  }

  private async prepareDefault(e: ExecutorRecord): Promise<void> {
    await mkdir(e.sandbox, { recursive: true });
    await linkLatestRun(e.sandbox, e.containerId);
  }

  private async launch(e: ExecutorRecord, framework: FrameworkInfoJson): Promise<void> {
    const eid = e.info.executor_id.value;
    const command = e.info.command;
    try {
      if (command === undefined) throw new Error("'ExecutorInfo.command' must be set for custom executors");
      await mkdir(e.sandbox, { recursive: true });
      this.host.track(linkLatestRun(e.sandbox, e.containerId));
      const uris = command.uris ?? [];
      if (uris.length > 0) await this.host.fetcher.fetchAll(uris, e.sandbox);
      if (e.phase !== 'launching' || this.stopped) return; // shut down meanwhile (a restarted agent reports the run gone)
      const c = this.host.config;
      const env = executorEnvironment(
        e.info,
        {
          frameworkId: e.fid,
          agentId: this.host.agentId() ?? '',
          sandbox: e.sandbox,
          agentIp: c.ip,
          agentPort: this.host.agentPort(),
          checkpoint: framework.checkpoint === true,
          shutdownGrace: formatDuration(this.graceMs(e)),
          recoveryTimeout: formatDuration(c.recoveryTimeoutMs),
          subscriptionBackoffMax: formatDuration(c.executorReregistrationMs),
        },
        process.env,
      );
      const resources = this.containerResources(e);
      const pid = await this.host.launcher.launch({ containerId: e.containerId, sandbox: e.sandbox, command, env, resources });
      e.supervisorPid = pid;
      this.host.track(this.host.append({ k: 'epid', fid: e.fid, eid, pid }));
      if (e.phase !== 'launching') return;
      e.phase = 'registering';
      this.armTimer(e, c.executorRegistrationMs, 'REASON_EXECUTOR_REGISTRATION_TIMEOUT', `Executor did not register within ${formatDuration(c.executorRegistrationMs)}`);
    } catch (err: unknown) {
      if (this.stopped) return;
      this.host.logger.warn({ frameworkId: e.fid, executorId: eid, err: errorMessage(err) }, 'executor launch failed');
      e.termination = { reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: `Failed to launch executor: ${errorMessage(err)}` };
      this.terminated(e, undefined);
    }
  }

  /** Kills the executor if it has not (re-)subscribed when the timer fires. */
  private armTimer(e: ExecutorRecord, ms: number, reason: 'REASON_EXECUTOR_REGISTRATION_TIMEOUT' | 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT', message: string): void {
    e.timer?.cancel();
    e.timer = this.host.clock.after(ms, () => {
      e.timer = undefined;
      if (e.phase !== 'registering') return;
      this.host.logger.warn({ frameworkId: e.fid, executorId: e.info.executor_id.value }, message);
      e.termination = { reason, message };
      e.phase = 'terminating';
      this.host.track(this.signal(e, 'SIGKILL'));
    });
  }

  // ---- recovery ------------------------------------------------------------------------------

  /**
   * Re-attaches an executor run found in the checkpoint (agent restart). A custom executor whose
   * supervisor still lives must re-subscribe within `--executor_reregistration_timeout`; one that is
   * gone is treated as exited.
   */
  async recover(cp: ExecutorCheckpoint): Promise<void> {
    const e: ExecutorRecord = {
      fid: cp.fid,
      info: cp.info,
      kind: executorKind(cp.info),
      containerId: cp.cid,
      sandbox: cp.dir,
      phase: 'running',
      supervisorPid: cp.pid,
      session: undefined,
      queue: [],
      timer: undefined,
      termination: undefined,
      recovered: true,
      exit: undefined,
    };
    this.executors.set(executorKey(cp.fid, cp.info.executor_id.value), e);
    if (e.kind === 'default') {
      e.recovered = false;
      // Its last task may have ended just before the restart, before the end was journaled.
      if (this.tasksOf(e).every((t) => isTerminalState(t.state))) this.terminated(e, { kind: 'exited', code: 0 });
      return;
    }
    this.byContainer.set(e.containerId, e);
    const spid = cp.pid ?? (await this.host.launcher.supervisorPid(cp.cid));
    e.supervisorPid = spid;
    if (spid === undefined) {
      e.termination = { reason: 'REASON_EXECUTOR_TERMINATED', message: 'Executor terminated while the agent was down' };
      this.terminated(e, undefined);
      return;
    }
    this.host.launcher.recover(e.containerId, spid);
    if (this.host.config.recover === 'cleanup') {
      e.phase = 'terminating';
      e.termination = { reason: 'REASON_EXECUTOR_TERMINATED', message: 'Agent recovered with --recover=cleanup' };
      this.host.track(this.signal(e, 'SIGKILL'));
      return;
    }
    e.phase = 'registering';
    const ms = this.host.config.executorReregistrationMs;
    this.armTimer(e, ms, 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT', `Executor did not re-register within ${formatDuration(ms)}`);
  }

  // ---- the executor API ----------------------------------------------------------------------

  /** Validation shared by every call: the executor must be one this agent runs. */
  lookup(call: ExecutorCallJson): ExecutorRecord | CallResult {
    const fid = call.framework_id.value;
    if (this.host.framework(fid) === undefined) return { status: 400, body: 'Framework cannot be found' };
    const e = this.get(fid, call.executor_id.value);
    if (e === undefined || e.kind !== 'custom') return { status: 400, body: 'Executor cannot be found' };
    return e;
  }
  /** SUBSCRIBE (see executor-api.ts). */
  subscribe(e: ExecutorRecord, call: ExecutorCallJson, res: ServerResponse): void {
    subscribeExecutor(this, e, call, res);
  }

  /** UPDATE, MESSAGE, HEARTBEAT (see executor-api.ts). */
  call(e: ExecutorRecord, call: ExecutorCallJson): CallResult {
    return executorCall(this, e, call);
  }

  countMessage(valid: boolean): void {
    if (valid) this.validMessages++;
    else this.invalidMessages++;
  }


  // ---- master events -------------------------------------------------------------------------

  /** FRAMEWORK_MESSAGE: to the executor's stream (best effort, dropped when it is not connected). */
  frameworkMessage(fid: string, eid: string, data: string): void {
    const e = this.get(fid, eid);
    if (e === undefined || e.kind !== 'custom' || !send(e, { type: 'MESSAGE', message: { data } })) {
      this.invalidMessages++;
      this.host.logger.warn({ frameworkId: fid, executorId: eid }, 'dropping framework message for an executor that is not connected');
      return;
    }
    this.validMessages++;
  }

  /**
   * KILL of a custom executor's task: a task still queued ends at once (TASK_KILLED,
   * REASON_TASK_KILLED_DURING_LAUNCH); otherwise the executor gets KILL (now, or when it re-subscribes).
   */
  killTask(t: TaskRecord, policy: KillPolicyJson | undefined): void {
    const e = this.get(t.fid, t.executorId ?? '');
    const tid = t.task.task_id.value;
    t.killRequested = true;
    if (e === undefined) return;
    if (e.queue.some((q) => queuedTaskIds(q).includes(tid))) {
      e.queue = e.queue.filter((q) => !queuedTaskIds(q).includes(tid));
      this.host.track(this.host.agentUpdate(t, { state: 'TASK_KILLED', source: 'SOURCE_AGENT', reason: 'REASON_TASK_KILLED_DURING_LAUNCH', message: 'Task killed before it was delivered to the executor' }));
      return;
    }
    send(e, { type: 'KILL', kill: { task_id: t.task.task_id, ...(policy !== undefined ? { kill_policy: policy } : {}) } });
  }

  /**
   * SHUTDOWN: a subscribed executor gets SHUTDOWN and its grace period (ExecutorInfo.shutdown_grace_period,
   * else `--executor_shutdown_grace_period`) before SIGKILL; one not subscribed is killed at once.
   */
  shutdown(e: ExecutorRecord): void {
    if (e.phase === 'terminating' || e.phase === 'terminated') return;
    const wasLaunching = e.phase === 'launching';
    e.phase = 'terminating';
    e.timer?.cancel();
    e.timer = undefined;
    if (e.kind === 'default') {
      this.terminated(e, { kind: 'exited', code: 0 });
      return;
    }
    if (wasLaunching && e.supervisorPid === undefined) {
      // launch() sees the phase change and stops; nothing runs yet.
      this.terminated(e, undefined);
      return;
    }
    if (send(e, { type: 'SHUTDOWN' })) {
      e.timer = this.host.clock.after(this.graceMs(e), () => {
        e.timer = undefined;
        if (e.phase !== 'terminated') this.host.track(this.signal(e, 'SIGKILL'));
      });
    } else {
      this.host.track(this.signal(e, 'SIGKILL'));
    }
  }

  /** Shuts down every executor of a framework (its tasks need no updates: the framework is gone). */
  shutdownFramework(fid: string): void {
    for (const e of [...this.executors.values()]) if (e.fid === fid) this.shutdown(e);
  }

  private graceMs(e: ExecutorRecord): number {
    const ns = e.info.shutdown_grace_period?.nanoseconds;
    return ns !== undefined ? Math.max(0, ns / 1e6) : this.host.config.shutdownGraceMs;
  }

  /** Signals the executor's process group, retrying briefly while its pid file is not written yet. */
  private async signal(e: ExecutorRecord, sig: NodeJS.Signals): Promise<void> {
    for (let i = 0; i < 40; i++) {
      if (await this.host.launcher.signal(e.containerId, sig)) return;
      if (e.phase === 'terminated' || this.stopped) return;
      await new Promise<void>((resolve) => this.host.clock.after(50, resolve));
    }
  }

  // ---- exits ---------------------------------------------------------------------------------

  /** The executor's process ended (launcher callback). False when the container is not an executor's. */
  onExit(cid: string, st: ExitStatus): boolean {
    const e = this.byContainer.get(cid);
    if (e === undefined) return false;
    this.terminated(e, st);
    return true;
  }

  /** A task of a default executor ended: the executor ends with its last task. */
  onTaskTerminal(t: TaskRecord): void {
    const e = this.get(t.fid, t.executorId ?? '');
    if (e === undefined || e.kind !== 'default' || e.phase === 'terminated') return;
    if (this.tasksOf(e).every((x) => isTerminalState(x.state))) this.terminated(e, { kind: 'exited', code: 0 });
  }

  /**
   * Ends a run: closes its stream, gives its unfinished tasks their terminal update (the agent's
   * termination reason if it killed the executor, else REASON_EXECUTOR_TERMINATED), journals the end and
   * tells the master (EXITED_EXECUTOR), so the scheduler gets FAILURE.
   */
  private terminated(e: ExecutorRecord, st: ExitStatus | undefined): void {
    if (e.phase === 'terminated') return;
    e.phase = 'terminated';
    e.exit = st;
    e.timer?.cancel();
    e.timer = undefined;
    const s = e.session;
    e.session = undefined;
    s?.close();
    e.queue = [];
    const eid = e.info.executor_id.value;
    this.executors.delete(executorKey(e.fid, eid));
    this.byContainer.delete(e.containerId);
    this.completed.push(e);
    if (this.completed.length > MAX_COMPLETED_EXECUTORS) this.completed.shift();
    const fw = this.host.framework(e.fid);
    this.host.track(this.host.append({ k: 'execgone', fid: e.fid, eid }));
    if (fw === undefined) return; // framework shut down: nothing is owed
    if (e.kind === 'custom') {
      const reason = e.termination?.reason ?? 'REASON_EXECUTOR_TERMINATED';
      const message = e.termination?.message ?? terminationMessage(st);
      for (const t of this.tasksOf(e)) {
        if (isTerminalState(t.state)) continue;
        this.host.track(this.host.agentUpdate(t, { state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason, message }));
      }
    }
    this.host.logger.info({ frameworkId: e.fid, executorId: eid, exit: st }, 'executor terminated');
    const status = waitStatusOf(st, SIGNALS);
    const agentId = this.host.agentId();
    this.host.post({
      type: 'EXITED_EXECUTOR',
      ...(agentId !== undefined ? { agent_id: { value: agentId } } : {}),
      exited_executor: { framework_id: { value: e.fid }, executor_id: e.info.executor_id, ...(status !== undefined ? { status } : {}) },
    });
  }

  /** The executor's tasks still in the framework record (live, or terminal and not yet acknowledged). */
  tasksOf(e: ExecutorRecord): TaskRecord[] {
    const fw = this.host.framework(e.fid);
    if (fw === undefined) return [];
    const eid = e.info.executor_id.value;
    return [...fw.tasks.values()].filter((t) => t.executorId === eid);
  }

  /** Closes streams and cancels timers; executor processes keep running (a restarted agent re-attaches them). */
  stop(): void {
    this.stopped = true;
    for (const e of this.executors.values()) {
      e.timer?.cancel();
      e.timer = undefined;
      const s = e.session;
      e.session = undefined;
      s?.close();
    }
  }
}
