/**
 * The agent actor: owns frameworks, tasks and the status update manager; reacts to master events and
 * to task exits. State changes only happen in its methods; I/O (sandboxes, fetch, spawn, journal) is
 * started from them and feeds results back through further method calls.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { Rng } from '../core/rng.js';
import type { Logger } from '../core/log.js';
import { errorMessage } from '../core/errors.js';
import { newStatusUuid, newUuid } from '../core/ids.js';
import { fromWire, type WireResource } from '../core/resources.js';
import { isTerminalState, type ExecutorInfoJson, type FrameworkInfoJson, type TaskInfoJson, type TaskStatusJson } from '../api/mesos/common.js';
import type { AgentCallJson, AgentEvent, StatusUpdateBodyJson } from '../api/agora/agent-protocol.js';
import type { AgentConfig } from './config.js';
import { Journal } from './checkpoint/journal.js';
import { journalFile, readAgentMeta, runsDir, sandboxPath, writeAgentMeta, type JournalRecord } from './checkpoint/recovery.js';
import { StatusUpdateManager } from './status-updates/manager.js';
import { Containerizer, DEFAULT_CONTAINERIZER_SETTINGS, type ContainerExit } from './containerizer/containerizer.js';
import { Fetcher } from './containerizer/fetcher.js';
import { MasterLink } from './master-link.js';
import { applyStatus, countTerminal, hasCapability, makeStatus, newTaskRecord, type FrameworkRecord, type StatusFields, type TaskRecord, type TerminalCounters } from './task-record.js';
import { compactRecords, replayJournal, type ExecutorCheckpoint } from './replay.js';
import { agentInfo, subscribeCall } from './registration.js';
import { ResourceCheckpoint } from './checkpointed-resources.js';
import { UpdateOutbox } from './update-outbox.js';
import { TaskProcesses } from './task-processes.js';
import { ExecutorManager } from './executors/executor-manager.js';
import { endsGroup, executorTaskRecord, groupIdOf, groupSiblings } from './executors/task-groups.js';
import { TaskChecks, type CheckFields } from './health/index.js';

export interface AgentDeps {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly logger: Logger;
  /** Called when the master tells this agent to shut down (it was removed). */
  readonly onShutdown?: (message: string) => void;
}

/** Counters for `/metrics/snapshot`. */
export interface AgentCounters extends TerminalCounters {
  launchErrors: number;
  recoveryErrors: number;
  invalidUpdates: number;
}

const MAX_COMPLETED_FRAMEWORKS = 50;

export class Agent {
  readonly frameworks = new Map<string, FrameworkRecord>();
  readonly completedFrameworks: FrameworkRecord[] = [];
  readonly counters: AgentCounters = { tasksFinished: 0, tasksFailed: 0, tasksKilled: 0, tasksLost: 0, tasksGone: 0, launchErrors: 0, recoveryErrors: 0, invalidUpdates: 0 };
  agentId: string | undefined;
  registered = false;
  masterInfo: unknown;
  readonly startTimeMs: number;
  recoveryTimeSecs = 0;
  readonly launcher: Containerizer;
  readonly fetcher: Fetcher;
  private journal: Journal | undefined;
  private readonly updates: StatusUpdateManager;
  private readonly link: MasterLink;
  private readonly outbox = new UpdateOutbox((batch) => this.sendUpdateBatch(batch));
  private port = 0;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly journaledFrameworks = new Map<string, string>();
  private stopped = false;
  readonly checkpointed: ResourceCheckpoint;
  /** Health checks and checks of running tasks (src/agent/health). */
  private readonly checks: TaskChecks<TaskRecord>;
  /** Custom executors and the built-in default executor of task groups (src/agent/executors). */
  readonly executors: ExecutorManager;
  /** Processes of the tasks the agent runs itself: command tasks and default-executor tasks. */
  private readonly processes: TaskProcesses;

  constructor(
    readonly config: AgentConfig,
    private readonly agentDeps: AgentDeps,
  ) {
    const deps = agentDeps;
    this.startTimeMs = deps.clock.now();
    this.launcher = new Containerizer(runsDir(config.workDir), deps.clock, (cid, st) => this.onExit(cid, st), config.containers ?? DEFAULT_CONTAINERIZER_SETTINGS, { workDir: config.workDir, logger: deps.logger });
    this.checkpointed = new ResourceCheckpoint(config.workDir);
    this.fetcher = new Fetcher({ cacheDir: join(config.workDir, 'fetcher-cache') });
    this.updates = new StatusUpdateManager({
      clock: deps.clock,
      sink: { append: (r) => this.append(r) },
      send: (fid, st) => this.sendUpdate(fid, st),
      onAcknowledged: (fid, st, empty) => this.onAcknowledged(fid, st, empty),
      retryIntervalMs: config.statusRetryMs,
      retryMaxMs: config.statusRetryMaxMs,
    });
    const kill = (t: TaskRecord): void => this.killTask(t.fid, t.task.task_id.value, undefined);
    this.checks = new TaskChecks<TaskRecord>({ clock: deps.clock, logger: deps.logger, update: (t, r, f) => this.checkUpdate(t, r, f), kill });
    this.executors = new ExecutorManager({
      config,
      clock: deps.clock,
      logger: deps.logger,
      launcher: this.launcher,
      fetcher: this.fetcher,
      agentId: () => this.agentId,
      agentPort: () => this.port,
      agentInfo: () => agentInfo(config, this.port, this.agentId),
      framework: (fid) => this.frameworks.get(fid),
      append: (r) => this.append(r),
      track: (p) => this.track(p),
      executorUpdate: (t, st) => this.record(t, st),
      agentUpdate: (t, f) => this.transition(t, f),
      post: (call) => this.track(this.link.post(call)),
      countInvalidUpdate: () => void this.counters.invalidUpdates++,
    });
    this.processes = new TaskProcesses({
      config,
      clock: deps.clock,
      logger: deps.logger,
      launcher: this.launcher,
      fetcher: this.fetcher,
      agentId: () => this.agentId,
      agentPort: () => this.port,
      framework: (fid) => this.frameworks.get(fid),
      stopping: () => this.stopped,
      transition: (t, f) => this.transition(t, f),
      append: (r) => this.append(r),
      track: (p) => this.track(p),
      startChecks: (t, env) => this.startTaskChecks(t, env),
      stopChecks: (t) => this.stopTaskChecks(t),
      countLaunchError: () => void this.counters.launchErrors++,
    });
    this.link = new MasterLink({
      master: config.master,
      clock: deps.clock,
      rng: deps.rng,
      logger: deps.logger,
      backoffMs: config.registrationBackoffMs,
      backoffMaxMs: config.registrationBackoffMaxMs,
      subscribeCall: () => this.subscribeCall(),
      onEvent: (e) => this.handle(e),
      onDisconnected: () => this.onDisconnected(),
    });
  }

  /** The injected clock, logger and rng. */
  deps = (): AgentDeps => this.agentDeps;

  get pid(): string {
    return `slave(1)@${this.config.ip}:${this.port}`;
  }

  get validStatusUpdates(): number {
    return this.updates.validUpdates;
  }

  /** Reads the checkpoint, compacts the journal, resumes supervising live tasks. Call before start(). */
  async recover(): Promise<void> {
    const t0 = this.agentDeps.clock.now();
    await this.launcher.init();
    // After a reboot nothing from before runs any more: start afresh as a new agent (the master reports the old tasks gone).
    const rebooted = await this.launcher.rebooted();
    if (rebooted) this.agentDeps.logger.warn({ workDir: this.config.workDir }, 'boot id changed: registering as a new agent');
    const meta = rebooted ? undefined : await readAgentMeta(this.config.workDir);
    this.agentId = meta?.agent_id;
    await this.checkpointed.load();
    const records = rebooted ? [] : ((await Journal.read(journalFile(this.config.workDir))) as JournalRecord[]);
    const replayed = replayJournal(records, this.updates);
    for (const [fid, fw] of replayed.frameworks) {
      this.frameworks.set(fid, fw);
      // A custom executor's tasks run inside its process: the executor, not the task, is supervised.
      for (const t of fw.tasks.values()) if (t.executorId === undefined || t.groupId !== undefined) this.processes.add(t);
    }
    this.journal = await Journal.rewrite(journalFile(this.config.workDir), this.compacted(replayed.executors.values()));
    this.journal.autoCompact(() => this.compacted());
    for (const e of replayed.executors.values()) if (this.frameworks.has(e.fid)) await this.executors.recover(e);
    for (const t of this.processes.tasks()) if (!isTerminalState(t.state)) await this.processes.resume(t);
    await this.launcher.destroyOrphans();
    this.recoveryTimeSecs = (this.agentDeps.clock.now() - t0) / 1000;
    if (this.agentId !== undefined) this.agentDeps.logger.info({ agentId: this.agentId, tasks: this.processes.size }, 'recovered agent checkpoint');
  }

  /** Starts registering with the master. */
  start(port: number): void {
    this.port = port;
    this.link.start();
  }

  /** Stops timers, the master stream and pending I/O. Running tasks are left alone: they outlive us. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.outbox.flush();
    await this.link.stop();
    this.updates.stop();
    await this.checks.stopAll();
    this.executors.stop();
    this.launcher.stop();
    this.processes.stop();
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    await this.journal?.close();
  }

  /** Every task this agent runs or remembers, live ones first. */
  *allTasks(): Iterable<TaskRecord> {
    for (const fw of this.frameworks.values()) yield* fw.tasks.values();
  }

  // ---- master events -------------------------------------------------------------------------

  handle(e: AgentEvent): void {
    switch (e.type) {
      case 'REGISTERED':
        return this.onRegistered(e.registered.agent_id.value, e.registered.master_info);
      case 'RUN_TASK':
        if (e.run_task.task.executor !== undefined) return this.runTaskGroup(e.run_task.framework, e.run_task.task.executor, [e.run_task.task], false);
        return this.runTask(e.run_task.framework, e.run_task.task);
      case 'RUN_TASK_GROUP':
        return this.runTaskGroup(e.run_task_group.framework, e.run_task_group.executor, e.run_task_group.task_group.tasks, true);
      case 'KILL_TASK':
        return this.killTask(e.kill_task.framework_id.value, e.kill_task.task_id.value, e.kill_task.kill_policy);
      case 'ACKNOWLEDGE':
        if (!this.updates.acknowledge(e.acknowledge.framework_id.value, e.acknowledge.task_id.value, e.acknowledge.uuid)) {
          this.agentDeps.logger.debug({ frameworkId: e.acknowledge.framework_id.value, taskId: e.acknowledge.task_id.value }, 'ignoring acknowledgement of an unknown update');
        }
        return;
      case 'SHUTDOWN_FRAMEWORK':
        return this.shutdownFramework(e.shutdown_framework.framework_id.value);
      case 'SHUTDOWN_EXECUTOR': {
        const ex = this.executors.get(e.shutdown_executor.framework_id.value, e.shutdown_executor.executor_id.value);
        if (ex !== undefined) return this.shutdownExecutor(ex.fid, ex.info.executor_id.value);
        // A command task's executor id is its task id.
        return this.killTask(e.shutdown_executor.framework_id.value, e.shutdown_executor.executor_id.value, undefined);
      }
      case 'UPDATE_FRAMEWORK': {
        const fw = this.frameworks.get(e.update_framework.framework.id?.value ?? '');
        if (fw !== undefined) {
          fw.info = e.update_framework.framework;
          this.journaledFrameworks.set(e.update_framework.framework.id?.value ?? '', JSON.stringify(fw.info));
          this.track(this.append({ k: 'fw', fw: fw.info }));
        }
        return;
      }
      case 'FRAMEWORK_MESSAGE':
        // Only custom executors take framework messages (command and default executors drop them).
        return this.executors.frameworkMessage(e.framework_message.framework_id.value, e.framework_message.executor_id.value, e.framework_message.data);
      case 'CHECKPOINT_RESOURCES':
        return this.track(this.checkpointed.update(e.checkpoint_resources.resources));
      case 'PING':
        this.track(this.link.post({ type: 'PONG', ...(this.agentId !== undefined ? { agent_id: { value: this.agentId } } : {}) }));
        return;
      case 'SHUTDOWN':
        return this.onShutdownRequest(e.shutdown.message);
      case 'ERROR':
        this.agentDeps.logger.error({ code: e.error.code, message: e.error.message }, 'master reported an error');
        return;
      default:
        this.agentDeps.logger.warn({ event: (e as { type?: unknown }).type }, 'ignoring unknown agent event');
    }
  }

  private onRegistered(agentId: string, masterInfo: unknown): void {
    const first = this.agentId === undefined;
    if (this.agentId !== undefined && this.agentId !== agentId) this.agentDeps.logger.warn({ old: this.agentId, agentId }, 'master assigned a different agent id');
    this.agentId = agentId;
    this.masterInfo = masterInfo;
    this.registered = true;
    this.link.registered();
    this.agentDeps.logger.info({ agentId, first }, 'registered with master');
    this.track(writeAgentMeta(this.config.workDir, { agent_id: agentId, hostname: this.config.hostname, port: this.port }));
    this.updates.setConnected(true);
  }

  private onDisconnected(): void {
    this.registered = false;
    this.updates.setConnected(false);
  }

  private onShutdownRequest(message: string): void {
    this.agentDeps.logger.warn({ message }, 'master asked this agent to shut down');
    for (const fid of [...this.frameworks.keys()]) this.shutdownFramework(fid);
    // A removed agent must register afresh next time: forget the id.
    this.track(rm(join(this.config.workDir, 'meta', 'slave.json'), { force: true }));
    this.agentId = undefined;
    // Upstream agents exit here; we stop talking to the master and let the owner decide (onShutdown).
    this.track(this.link.stop());
    this.agentDeps.onShutdown?.(message);
  }

  subscribeCall(): AgentCallJson {
    const head = (fid: string, tid: string): TaskStatusJson | undefined => this.updates.head(fid, tid);
    const executors = [...this.executors.list()].map((e) => ({ framework_id: { value: e.fid }, executor: e.info }));
    return subscribeCall(this.config, this.port, this.agentId, this.frameworks.values(), head, this.checkpointed.resources, executors);
  }

  // ---- launching -----------------------------------------------------------------------------

  private runTask(framework: FrameworkInfoJson, task: TaskInfoJson): void {
    const fid = framework.id?.value;
    const tid = task.task_id.value;
    if (fid === undefined || this.agentId === undefined) {
      this.agentDeps.logger.warn({ taskId: tid }, 'RUN_TASK without framework id or before registration');
      return;
    }
    const fw = this.ensureFramework(fid, framework);
    const existing = fw.tasks.get(tid);
    if (existing !== undefined) {
      this.agentDeps.logger.warn({ frameworkId: fid, taskId: tid }, 'ignoring RUN_TASK for a task this agent already has');
      return;
    }
    const containerId = newUuid();
    const sandbox = sandboxPath(this.config.workDir, this.agentId, fid, tid, containerId);
    const t = newTaskRecord(fid, task, containerId, sandbox);
    fw.tasks.set(tid, t);
    this.processes.add(t);
    this.journalFramework(fid, framework);
    this.track(this.append({ k: 'task', fid, task, cid: containerId, dir: sandbox }));
    this.track(this.processes.launch(t));
  }

  private ensureFramework(fid: string, framework: FrameworkInfoJson): FrameworkRecord {
    let fw = this.frameworks.get(fid);
    if (fw === undefined) {
      fw = { info: framework, tasks: new Map(), completed: [] };
      this.frameworks.set(fid, fw);
    } else {
      fw.info = framework;
    }
    return fw;
  }

  private journalFramework(fid: string, framework: FrameworkInfoJson): void {
    const fwText = JSON.stringify(framework);
    if (this.journaledFrameworks.get(fid) === fwText) return;
    // Journal a framework only when it changed: not once per task.
    this.journaledFrameworks.set(fid, fwText);
    this.track(this.append({ k: 'fw', fw: framework }));
  }

  /**
   * Tasks with an executor (spec §4, ADR 0009): a task of a custom executor (RUN_TASK with `executor`)
   * or a whole task group (RUN_TASK_GROUP). The executor run is started once per executor id. A custom
   * executor gets the tasks as LAUNCH / LAUNCH_GROUP once subscribed; the built-in default executor's
   * tasks are run here, together, each as its own supervised process in `<executor sandbox>/tasks/<id>`.
   */
  private runTaskGroup(framework: FrameworkInfoJson, executor: ExecutorInfoJson, tasks: readonly TaskInfoJson[], group: boolean): void {
    const fid = framework.id?.value;
    if (fid === undefined || this.agentId === undefined) {
      this.agentDeps.logger.warn({ executorId: executor.executor_id.value }, 'RUN_TASK(_GROUP) without framework id or before registration');
      return;
    }
    const fw = this.ensureFramework(fid, framework);
    const fresh = tasks.filter((task) => !fw.tasks.has(task.task_id.value));
    if (fresh.length < tasks.length) this.agentDeps.logger.warn({ frameworkId: fid }, 'ignoring tasks this agent already has');
    if (fresh.length === 0) return;
    this.journalFramework(fid, framework);
    const e = this.executors.ensure(fw, executor);
    const eid = executor.executor_id.value;
    const groupId = e?.kind === 'default' ? groupIdOf(fresh.map((t) => t.task_id.value)) : undefined;
    const records = fresh.map((task): TaskRecord => {
      const t = executorTaskRecord(fid, task, eid, e, groupId);
      fw.tasks.set(task.task_id.value, t);
      if (e?.kind === 'default') this.processes.add(t);
      this.track(this.append({ k: 'task', fid, task, cid: t.containerId, dir: t.sandbox, eid, ...(groupId !== undefined ? { gid: groupId } : {}) }));
      return t;
    });
    if (e === undefined) {
      const pa = hasCapability(framework, 'PARTITION_AWARE');
      for (const t of records) {
        this.track(this.transition(t, { state: pa ? 'TASK_DROPPED' : 'TASK_LOST', source: 'SOURCE_AGENT', reason: 'REASON_EXECUTOR_TERMINATED', message: 'Executor is terminating' }));
      }
      return;
    }
    if (e.kind === 'custom') this.executors.deliver(e, records.map((t) => t.task.task_id.value), group);
    else for (const t of records) this.track(this.processes.launch(t));
  }

  // ---- killing -------------------------------------------------------------------------------

  private killTask(fid: string, tid: string, policy: { grace_period?: { nanoseconds: number } } | undefined): void {
    const t = this.frameworks.get(fid)?.tasks.get(tid);
    if (t === undefined) {
      const known = this.frameworks.get(fid)?.completed.some((c) => c.task.task_id.value === tid) ?? false;
      if (known) return;
      const pa = hasCapability(this.frameworks.get(fid)?.info, 'PARTITION_AWARE');
      const st = makeStatus(tid, this.agentId ?? '', undefined, { state: pa ? 'TASK_DROPPED' : 'TASK_LOST', source: 'SOURCE_AGENT', reason: 'REASON_TASK_UNKNOWN', message: 'Attempted to kill an unknown task' }, newStatusUuid(), this.agentDeps.clock.now());
      this.track(this.updates.update(fid, st));
      return;
    }
    if (isTerminalState(t.state) || t.killRequested) return;
    if (t.executorId !== undefined && t.groupId === undefined) return this.executors.killTask(t, policy);
    // A group task's TASK_KILLED then kills the rest of its group (see record()), as upstream's default executor.
    t.killRequested = true;
    if (t.launching !== undefined && t.supervisorPid === undefined) {
      t.launching.abort(new Error('killed'));
      this.track(this.transition(t, { state: 'TASK_KILLED', source: 'SOURCE_AGENT', reason: 'REASON_TASK_KILLED_DURING_LAUNCH', message: 'Task killed before it was launched' }));
      return;
    }
    if (hasCapability(this.frameworks.get(fid)?.info, 'TASK_KILLING_STATE')) this.track(this.transition(t, { state: 'TASK_KILLING', source: 'SOURCE_EXECUTOR' }));
    this.processes.startKill(t, policy);
  }

  /** SHUTDOWN_EXECUTOR of a custom or default executor: the executor's shutdown, or its group tasks' kill. */
  private shutdownExecutor(fid: string, eid: string): void {
    const e = this.executors.get(fid, eid);
    if (e === undefined) return;
    if (e.kind === 'custom') return this.executors.shutdown(e);
    for (const t of this.executors.tasksOf(e)) if (!isTerminalState(t.state)) this.killTask(fid, t.task.task_id.value, undefined);
  }

  private shutdownFramework(fid: string): void {
    const fw = this.frameworks.get(fid);
    if (fw === undefined) return;
    this.updates.dropFramework(fid);
    const grace = { grace_period: { nanoseconds: this.config.shutdownGraceMs * 1e6 } };
    for (const t of fw.tasks.values()) {
      if (isTerminalState(t.state)) continue;
      if (t.launching !== undefined && t.supervisorPid === undefined) t.launching.abort(new Error('framework shut down'));
      t.killRequested = true;
      if (t.supervisorPid !== undefined) this.processes.startKill(t, grace);
    }
    this.frameworks.delete(fid);
    // After the delete: the executors' ends then owe no updates to the removed framework.
    this.executors.shutdownFramework(fid);
    this.completedFrameworks.push(fw);
    if (this.completedFrameworks.length > MAX_COMPLETED_FRAMEWORKS) this.completedFrameworks.shift();
    this.journaledFrameworks.delete(fid);
    this.track(this.append({ k: 'fwgone', fid }));
  }

  // ---- exits and updates ---------------------------------------------------------------------

  private onExit(cid: string, st: ContainerExit): void {
    if (!this.executors.onExit(cid, st)) this.processes.onExit(cid, st);
  }

  private transition(t: TaskRecord, f: StatusFields): Promise<void> {
    if (isTerminalState(t.state)) return Promise.resolve();
    const st = this.checks.decorate(t, makeStatus(t.task.task_id.value, this.agentId ?? '', t.containerId, f, newStatusUuid(), this.agentDeps.clock.now(), t.executorId));
    return this.record(t, st);
  }

  /** Applies, journals and forwards one status of a task; then the task-group and executor consequences of a terminal one. */
  private record(t: TaskRecord, st: TaskStatusJson): Promise<void> {
    applyStatus(t, st);
    countTerminal(this.counters, st.state);
    const done = this.updates.update(t.fid, st);
    if (t.executorId !== undefined && isTerminalState(st.state)) {
      if (endsGroup(st.state)) for (const x of groupSiblings(this.frameworks.get(t.fid), t)) this.killTask(t.fid, x.task.task_id.value, undefined);
      this.executors.onTaskTerminal(t);
    }
    return done;
  }

  /** Starts TaskInfo.health_check / check of a running task the agent executes itself (command or task-group task). */
  startTaskChecks(t: TaskRecord, env?: Readonly<Record<string, string>>): void {
    if (t.state === 'TASK_RUNNING' && !t.killRequested && !this.stopped) this.checks.start(t, env);
  }

  /** Stops a task's checks (kill requested, or it ended); idempotent. */
  stopTaskChecks(t: TaskRecord): void {
    this.checks.stop(t);
  }

  /** A health/check result: the task's latest status again (same state) with new `healthy`/`check_status` and reason. */
  private checkUpdate(t: TaskRecord, reason: TaskStatusJson['reason'], fields: CheckFields): void {
    const last = t.latest;
    if (last === undefined || isTerminalState(t.state) || t.killRequested || this.stopped) return;
    const st: TaskStatusJson = { ...last, ...(reason !== undefined ? { reason } : {}), uuid: newStatusUuid(), timestamp: this.agentDeps.clock.now() / 1000, ...fields };
    applyStatus(t, st);
    this.track(this.updates.update(t.fid, st));
  }

  private sendUpdate(fid: string, st: TaskStatusJson): void {
    const t = this.frameworks.get(fid)?.tasks.get(st.task_id.value);
    this.outbox.add({ framework_id: { value: fid }, status: st, latest_state: t?.state ?? st.state });
  }

  private sendUpdateBatch(batch: readonly StatusUpdateBodyJson[]): void {
    const agentId = this.agentId !== undefined ? { agent_id: { value: this.agentId } } : {};
    const body = batch.length === 1 && batch[0] !== undefined ? { status_update: batch[0] } : { status_updates: [...batch] };
    this.track(this.link.post({ type: 'STATUS_UPDATE', ...agentId, ...body }));
  }

  private onAcknowledged(fid: string, _st: TaskStatusJson, empty: boolean): void {
    if (!empty) return;
    const fw = this.frameworks.get(fid);
    const t = fw?.tasks.get(_st.task_id.value);
    if (fw === undefined || t === undefined || !isTerminalState(t.state)) return;
    fw.tasks.delete(t.task.task_id.value);
    this.processes.forget(t);
    fw.completed.push(t);
    if (fw.completed.length > this.config.maxCompletedExecutors) fw.completed.shift();
  }

  // ---- checkpoint ----------------------------------------------------------------------------

  private append(r: JournalRecord): Promise<void> {
    const j = this.journal;
    if (j === undefined) return Promise.reject(new Error('agent journal is not open (recover() first)'));
    return j.append(r);
  }

  /** The journal's compacted form (see compactRecords); remembers which frameworks it journaled. */
  private compacted(executors: Iterable<ExecutorCheckpoint> = this.executors.checkpoints()): JournalRecord[] {
    const { records, frameworks } = compactRecords(this.frameworks, this.updates, executors);
    this.journaledFrameworks.clear();
    for (const [fid, text] of frameworks) this.journaledFrameworks.set(fid, text);
    return records;
  }

  /** Resources used by live tasks. */
  usedResources(): ReturnType<typeof fromWire> {
    let used = fromWire([]);
    for (const t of this.allTasks()) if (!isTerminalState(t.state)) used = used.plus(fromWire((t.task.resources ?? []) as WireResource[]));
    for (const e of this.executors.list()) used = used.plus(fromWire((e.info.resources ?? []) as WireResource[]));
    return used;
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch((e: unknown) => {
      this.agentDeps.logger.error({ err: errorMessage(e) }, 'agent background work failed');
    });
    this.inflight.add(q);
    void q.finally(() => this.inflight.delete(q));
  }
}
