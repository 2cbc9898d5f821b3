/**
 * The agent actor: owns frameworks, tasks and the status update manager; reacts to master events and
 * to task exits. State changes only happen in its methods; I/O (sandboxes, fetch, spawn, journal) is
 * started from them and feeds results back through further method calls.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { Rng } from '../core/rng.js';
import type { Logger } from '../core/log.js';
import { errorMessage } from '../core/errors.js';
import { newStatusUuid, newUuid } from '../core/ids.js';
import { fromWire, type WireResource } from '../core/resources.js';
import { formatDuration } from '../core/duration.js';
import { isTerminalState, type FrameworkInfoJson, type TaskInfoJson, type TaskStatusJson } from '../api/mesos/common.js';
import type { AgentCallJson, AgentEvent, StatusUpdateBodyJson } from '../api/agora/agent-protocol.js';
import type { AgentConfig } from './config.js';
import { Journal } from './checkpoint/journal.js';
import { journalFile, linkLatestRun, readAgentMeta, runsDir, sandboxPath, writeAgentMeta, type JournalRecord } from './checkpoint/recovery.js';
import { StatusUpdateManager } from './status-updates/manager.js';
import { PosixLauncher, readExitStatus, type ExitStatus } from './containerizer/launcher.js';
import { Fetcher, FetchError } from './containerizer/fetcher.js';
import { MasterLink } from './master-link.js';
import { applyStatus, countTerminal, exitStatusFields, hasCapability, killGraceMs, makeStatus, taskEnvironment, type FrameworkRecord, type StatusFields, type TaskRecord, type TerminalCounters } from './task-record.js';
import { compactRecords, replayJournal } from './replay.js';
import { subscribeCall } from './registration.js';
import { linkVolumes, ResourceCheckpoint } from './checkpointed-resources.js';
import { UpdateOutbox } from './update-outbox.js';

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
  private readonly byContainer = new Map<string, TaskRecord>();
  readonly counters: AgentCounters = { tasksFinished: 0, tasksFailed: 0, tasksKilled: 0, tasksLost: 0, tasksGone: 0, launchErrors: 0, recoveryErrors: 0, invalidUpdates: 0 };
  agentId: string | undefined;
  registered = false;
  masterInfo: unknown;
  readonly startTimeMs: number;
  recoveryTimeSecs = 0;
  readonly launcher: PosixLauncher;
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

  constructor(
    readonly config: AgentConfig,
    private readonly agentDeps: AgentDeps,
  ) {
    const deps = agentDeps;
    this.startTimeMs = deps.clock.now();
    this.launcher = new PosixLauncher(runsDir(config.workDir), deps.clock, (cid, st) => this.onExit(cid, st));
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
    const meta = await readAgentMeta(this.config.workDir);
    this.agentId = meta?.agent_id;
    await this.checkpointed.load();
    const records = (await Journal.read(journalFile(this.config.workDir))) as JournalRecord[];
    for (const [fid, fw] of replayJournal(records, this.updates).frameworks) {
      this.frameworks.set(fid, fw);
      for (const t of fw.tasks.values()) this.byContainer.set(t.containerId, t);
    }
    this.journal = await Journal.rewrite(journalFile(this.config.workDir), this.compacted());
    this.journal.autoCompact(() => this.compacted());
    for (const t of [...this.byContainer.values()]) if (!isTerminalState(t.state)) await this.resume(t);
    this.recoveryTimeSecs = (this.agentDeps.clock.now() - t0) / 1000;
    if (this.agentId !== undefined) this.agentDeps.logger.info({ agentId: this.agentId, tasks: this.byContainer.size }, 'recovered agent checkpoint');
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
    this.launcher.stop();
    for (const t of this.byContainer.values()) {
      t.killTimer?.cancel();
      t.completionTimer?.cancel();
    }
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
        return this.runTask(e.run_task.framework, e.run_task.task);
      case 'KILL_TASK':
        return this.killTask(e.kill_task.framework_id.value, e.kill_task.task_id.value, e.kill_task.kill_policy);
      case 'ACKNOWLEDGE':
        if (!this.updates.acknowledge(e.acknowledge.framework_id.value, e.acknowledge.task_id.value, e.acknowledge.uuid)) {
          this.agentDeps.logger.debug({ frameworkId: e.acknowledge.framework_id.value, taskId: e.acknowledge.task_id.value }, 'ignoring acknowledgement of an unknown update');
        }
        return;
      case 'SHUTDOWN_FRAMEWORK':
        return this.shutdownFramework(e.shutdown_framework.framework_id.value);
      case 'SHUTDOWN_EXECUTOR':
        // A command task's executor id is its task id.
        return this.killTask(e.shutdown_executor.framework_id.value, e.shutdown_executor.executor_id.value, undefined);
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
        return; // Command executors take no framework messages.
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
    return subscribeCall(this.config, this.port, this.agentId, this.frameworks.values(), head, this.checkpointed.resources);
  }

  // ---- launching -----------------------------------------------------------------------------

  private runTask(framework: FrameworkInfoJson, task: TaskInfoJson): void {
    const fid = framework.id?.value;
    const tid = task.task_id.value;
    if (fid === undefined || this.agentId === undefined) {
      this.agentDeps.logger.warn({ taskId: tid }, 'RUN_TASK without framework id or before registration');
      return;
    }
    let fw = this.frameworks.get(fid);
    if (fw === undefined) {
      fw = { info: framework, tasks: new Map(), completed: [] };
      this.frameworks.set(fid, fw);
    } else {
      fw.info = framework;
    }
    const existing = fw.tasks.get(tid);
    if (existing !== undefined) {
      this.agentDeps.logger.warn({ frameworkId: fid, taskId: tid }, 'ignoring RUN_TASK for a task this agent already has');
      return;
    }
    const containerId = newUuid();
    const sandbox = sandboxPath(this.config.workDir, this.agentId, fid, tid, containerId);
    const t: TaskRecord = {
      fid,
      task,
      containerId,
      sandbox,
      state: 'TASK_STAGING',
      latest: undefined,
      statuses: [],
      supervisorPid: undefined,
      launching: new AbortController(),
      killRequested: false,
      killTimer: undefined,
    };
    fw.tasks.set(tid, t);
    this.byContainer.set(containerId, t);
    const fwText = JSON.stringify(framework);
    if (this.journaledFrameworks.get(fid) !== fwText) {
      // Journal a framework only when it changed: not once per task.
      this.journaledFrameworks.set(fid, fwText);
      this.track(this.append({ k: 'fw', fw: framework }));
    }
    this.track(this.append({ k: 'task', fid, task, cid: containerId, dir: sandbox }));
    this.track(this.launch(t));
  }

  private async launch(t: TaskRecord): Promise<void> {
    const tid = t.task.task_id.value;
    const signal = t.launching?.signal;
    try {
      if (t.task.command === undefined) throw new FetchError('Custom executors are not supported by this agent (only command tasks)');
      await mkdir(t.sandbox, { recursive: true });
      await linkVolumes(this.config.workDir, t.sandbox, t.task.resources);
      // The `latest` link only serves /files; it need not delay the launch.
      this.track(linkLatestRun(t.sandbox, t.containerId));
      const uris = t.task.command.uris ?? [];
      if (uris.length > 0) await this.fetcher.fetchAll(uris, t.sandbox, signal);
      if (t.killRequested || this.stopped) return;
      const fw = this.frameworks.get(t.fid);
      const ctx = { frameworkId: t.fid, taskId: tid, agentId: this.agentId ?? '', sandbox: t.sandbox, agentIp: this.config.ip, agentPort: this.port };
      const grace = formatDuration(this.config.shutdownGraceMs);
      const env = taskEnvironment(t.task, { ...ctx, checkpoint: fw?.info.checkpoint === true, shutdownGrace: grace }, process.env);
      this.track(this.transition(t, { state: 'TASK_STARTING', source: 'SOURCE_EXECUTOR' }));
      const pid = await this.launcher.launch({ containerId: t.containerId, sandbox: t.sandbox, command: t.task.command, env });
      t.supervisorPid = pid;
      t.launching = undefined;
      this.track(this.append({ k: 'pid', fid: t.fid, tid, pid }));
      if (t.killRequested) {
        this.startKill(t, undefined);
        return;
      }
      this.armCompletionDeadline(t, this.agentDeps.clock.now());
      await this.transition(t, { state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR' });
    } catch (e: unknown) {
      t.launching = undefined;
      // Killed meanwhile, or the agent is stopping (a restart adopts or reports the task).
      if (t.killRequested || this.stopped) return;
      this.counters.launchErrors++;
      const message = e instanceof FetchError ? e.message : `Failed to launch container: ${errorMessage(e)}`;
      this.agentDeps.logger.warn({ frameworkId: t.fid, taskId: tid, err: message }, 'task launch failed');
      await this.transition(t, { state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_CONTAINER_LAUNCH_FAILED', message });
    }
  }

  /** Resumes a task found in the checkpoint (agent restart). */
  private async resume(t: TaskRecord): Promise<void> {
    let spid = t.supervisorPid;
    if (spid === undefined) {
      // The pid record may have been lost in the crash; the supervisor wrote its own pid file.
      spid = await this.launcher.supervisorPid(t.containerId);
      t.supervisorPid = spid;
    }
    if (spid === undefined) {
      // No live supervisor known: the task may still have ended normally (its status file says so).
      const st = await readExitStatus(this.launcher.prefix(t.containerId));
      if (st !== undefined) return this.onExit(t.containerId, st);
      const pa = hasCapability(this.frameworks.get(t.fid)?.info, 'PARTITION_AWARE');
      await this.transition(t, {
        state: pa ? 'TASK_DROPPED' : 'TASK_LOST',
        source: 'SOURCE_AGENT',
        reason: 'REASON_AGENT_RESTARTED',
        message: 'The task was being launched when the agent restarted',
      });
      return;
    }
    this.launcher.recover(t.containerId, spid);
    const started = t.statuses.find((s) => s.state === 'TASK_RUNNING')?.timestamp;
    if (started !== undefined) this.armCompletionDeadline(t, started * 1000);
    if (this.config.recover === 'cleanup') this.startKill(t, { grace_period: { nanoseconds: 0 } });
    else if (t.state === 'TASK_KILLING') this.startKill(t, undefined);
  }

  /** TaskInfo.max_completion_time: kill the task once it has run that long (TASK_FAILED, spec §3.4). */
  private armCompletionDeadline(t: TaskRecord, startedAtMs: number): void {
    const ns = t.task.max_completion_time?.nanoseconds;
    if (ns === undefined) return;
    const left = Math.max(0, startedAtMs + ns / 1e6 - this.agentDeps.clock.now());
    t.completionTimer = this.agentDeps.clock.after(left, () => {
      t.completionTimer = undefined;
      if (isTerminalState(t.state) || t.killRequested) return;
      t.timedOut = true;
      this.startKill(t, undefined);
    });
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
    t.killRequested = true;
    if (t.launching !== undefined && t.supervisorPid === undefined) {
      t.launching.abort(new Error('killed'));
      this.track(this.transition(t, { state: 'TASK_KILLED', source: 'SOURCE_AGENT', reason: 'REASON_TASK_KILLED_DURING_LAUNCH', message: 'Task killed before it was launched' }));
      return;
    }
    if (hasCapability(this.frameworks.get(fid)?.info, 'TASK_KILLING_STATE')) this.track(this.transition(t, { state: 'TASK_KILLING', source: 'SOURCE_EXECUTOR' }));
    this.startKill(t, policy);
  }

  /** SIGTERM to the task's process group now, SIGKILL after the grace period. */
  private startKill(t: TaskRecord, policy: { grace_period?: { nanoseconds: number } } | undefined): void {
    t.killRequested = true;
    const grace = killGraceMs(t.task, policy);
    const cid = t.containerId;
    if (grace <= 0) {
      this.track(this.signalSoon(cid, 'SIGKILL'));
      return;
    }
    this.track(this.signalSoon(cid, 'SIGTERM'));
    t.killTimer?.cancel();
    t.killTimer = this.agentDeps.clock.after(grace, () => {
      t.killTimer = undefined;
      if (!isTerminalState(t.state)) this.track(this.signalSoon(cid, 'SIGKILL'));
    });
  }

  /** Signals a container, retrying briefly while the supervisor has not yet written the task pid. */
  private async signalSoon(cid: string, sig: NodeJS.Signals): Promise<void> {
    for (let i = 0; i < 20; i++) {
      if (await this.launcher.signal(cid, sig)) return;
      const t = this.byContainer.get(cid);
      if (t === undefined || isTerminalState(t.state) || this.stopped) return;
      await new Promise<void>((resolve) => this.agentDeps.clock.after(50, resolve));
    }
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
      if (t.supervisorPid !== undefined) this.startKill(t, grace);
    }
    this.frameworks.delete(fid);
    this.completedFrameworks.push(fw);
    if (this.completedFrameworks.length > MAX_COMPLETED_FRAMEWORKS) this.completedFrameworks.shift();
    this.journaledFrameworks.delete(fid);
    this.track(this.append({ k: 'fwgone', fid }));
  }

  // ---- exits and updates ---------------------------------------------------------------------

  private onExit(cid: string, st: ExitStatus): void {
    const t = this.byContainer.get(cid);
    if (t === undefined) return;
    t.killTimer?.cancel();
    t.killTimer = undefined;
    t.completionTimer?.cancel();
    t.completionTimer = undefined;
    if (isTerminalState(t.state)) return;
    const gone = this.frameworks.get(t.fid)?.tasks.get(t.task.task_id.value) !== t;
    if (gone) {
      // Its framework was shut down: no update is owed, just forget the container.
      this.byContainer.delete(cid);
      t.state = 'TASK_KILLED';
      return;
    }
    const f = exitStatusFields(st, t.killRequested, t.timedOut === true);
    this.track(this.transition(t, f));
  }

  private transition(t: TaskRecord, f: StatusFields): Promise<void> {
    if (isTerminalState(t.state)) return Promise.resolve();
    const st = makeStatus(t.task.task_id.value, this.agentId ?? '', t.containerId, f, newStatusUuid(), this.agentDeps.clock.now());
    applyStatus(t, st);
    countTerminal(this.counters, st.state);
    return this.updates.update(t.fid, st);
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
    this.byContainer.delete(t.containerId);
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
  private compacted(): JournalRecord[] {
    const { records, frameworks } = compactRecords(this.frameworks, this.updates);
    this.journaledFrameworks.clear();
    for (const [fid, text] of frameworks) this.journaledFrameworks.set(fid, text);
    return records;
  }

  /** Resources used by live tasks. */
  usedResources(): ReturnType<typeof fromWire> {
    let used = fromWire([]);
    for (const t of this.allTasks()) if (!isTerminalState(t.state)) used = used.plus(fromWire((t.task.resources ?? []) as WireResource[]));
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
