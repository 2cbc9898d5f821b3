/**
 * The processes of the tasks the agent runs itself (command tasks, and the tasks of the built-in default
 * executor): sandbox, fetch, environment and containerizer launch; adoption after an agent restart; the
 * SIGTERM→SIGKILL kill with its grace period; max_completion_time; and turning a container's end into the
 * task's terminal status. Task state itself stays with the Agent: every status change goes back through
 * `host.transition`, so journaling and delivery have one path.
 */
import { mkdir } from 'node:fs/promises';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { errorMessage } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import { isTerminalState, type FrameworkInfoJson } from '../api/mesos/common.js';
import type { AgentConfig } from './config.js';
import { linkLatestRun, type JournalRecord } from './checkpoint/recovery.js';
import { readExitStatus } from './containerizer/launcher.js';
import type { Containerizer, ContainerExit } from './containerizer/containerizer.js';
import { FetchError, type Fetcher } from './containerizer/fetcher.js';
import { linkVolumes } from './checkpointed-resources.js';
import { exitStatusFields, hasCapability, killGraceMs, taskEnvironment, type StatusFields, type TaskRecord } from './task-record.js';

/** What the task processes need from the agent. */
export interface TaskProcessHost {
  readonly config: AgentConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly launcher: Containerizer;
  readonly fetcher: Fetcher;
  agentId(): string | undefined;
  agentPort(): number;
  /** The framework of a task, undefined once it was shut down. */
  framework(fid: string): { readonly info: FrameworkInfoJson; readonly tasks: ReadonlyMap<string, TaskRecord> } | undefined;
  stopping(): boolean;
  transition(t: TaskRecord, f: StatusFields): Promise<void>;
  append(r: JournalRecord): Promise<void>;
  track(p: Promise<unknown>): void;
  startChecks(t: TaskRecord, env?: Readonly<Record<string, string>>): void;
  stopChecks(t: TaskRecord): void;
  countLaunchError(): void;
}

type KillPolicy = { grace_period?: { nanoseconds: number } } | undefined;

/** Tasks by container id, with their process life cycle. */
export class TaskProcesses {
  private readonly byContainer = new Map<string, TaskRecord>();

  constructor(private readonly host: TaskProcessHost) {}

  get size(): number {
    return this.byContainer.size;
  }

  add(t: TaskRecord): void {
    this.byContainer.set(t.containerId, t);
  }

  /** Forgets a task whose terminal update was acknowledged. */
  forget(t: TaskRecord): void {
    this.byContainer.delete(t.containerId);
  }

  tasks(): TaskRecord[] {
    return [...this.byContainer.values()];
  }

  /** Cancels every timer (agent stop); the processes keep running. */
  stop(): void {
    for (const t of this.byContainer.values()) {
      t.killTimer?.cancel();
      t.completionTimer?.cancel();
    }
  }

  /** Prepares the sandbox, fetches URIs and starts the task's container: STARTING, then RUNNING (or FAILED). */
  async launch(t: TaskRecord): Promise<void> {
    const h = this.host;
    const tid = t.task.task_id.value;
    const signal = t.launching?.signal;
    try {
      if (t.task.command === undefined) throw new FetchError('Task has no CommandInfo to run');
      await mkdir(t.sandbox, { recursive: true });
      await linkVolumes(h.config.workDir, t.sandbox, t.task.resources);
      // The `latest` link only serves /files; it need not delay the launch. (A group task's sandbox is not a run.)
      if (t.groupId === undefined) h.track(linkLatestRun(t.sandbox, t.containerId));
      const uris = t.task.command.uris ?? [];
      if (uris.length > 0) await h.fetcher.fetchAll(uris, t.sandbox, signal);
      if (t.killRequested || h.stopping()) return;
      const fw = h.framework(t.fid);
      const ctx = { frameworkId: t.fid, taskId: tid, agentId: h.agentId() ?? '', sandbox: t.sandbox, agentIp: h.config.ip, agentPort: h.agentPort() };
      const grace = formatDuration(h.config.shutdownGraceMs);
      const env = taskEnvironment(t.task, { ...ctx, checkpoint: fw?.info.checkpoint === true, shutdownGrace: grace }, process.env);
      h.track(h.transition(t, { state: 'TASK_STARTING', source: 'SOURCE_EXECUTOR' }));
      const pid = await h.launcher.launch({ containerId: t.containerId, sandbox: t.sandbox, command: t.task.command, env, resources: t.task.resources, container: t.task.container });
      t.supervisorPid = pid;
      t.launching = undefined;
      h.track(h.append({ k: 'pid', fid: t.fid, tid, pid }));
      if (t.killRequested) {
        this.startKill(t, undefined);
        return;
      }
      this.armCompletionDeadline(t, h.clock.now());
      await h.transition(t, { state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR' });
      h.startChecks(t, env);
    } catch (e: unknown) {
      t.launching = undefined;
      // Killed meanwhile, or the agent is stopping (a restart adopts or reports the task).
      if (t.killRequested || h.stopping()) return;
      h.countLaunchError();
      const message = e instanceof FetchError ? e.message : `Failed to launch container: ${errorMessage(e)}`;
      h.logger.warn({ frameworkId: t.fid, taskId: tid, err: message }, 'task launch failed');
      await h.transition(t, { state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_CONTAINER_LAUNCH_FAILED', message });
    }
  }

  /** Re-attaches a task found in the checkpoint (agent restart), or reports how it ended meanwhile. */
  async resume(t: TaskRecord): Promise<void> {
    const h = this.host;
    let spid = t.supervisorPid;
    if (spid === undefined) {
      // The pid record may have been lost in the crash; the supervisor wrote its own pid file.
      spid = await h.launcher.supervisorPid(t.containerId);
      t.supervisorPid = spid;
    }
    if (spid === undefined) {
      // No live supervisor known: the task may still have ended normally (its status file says so).
      const st = await readExitStatus(h.launcher.prefix(t.containerId));
      if (st !== undefined) {
        this.onExit(t.containerId, st);
        return;
      }
      const pa = hasCapability(h.framework(t.fid)?.info, 'PARTITION_AWARE');
      await h.transition(t, {
        state: pa ? 'TASK_DROPPED' : 'TASK_LOST',
        source: 'SOURCE_AGENT',
        reason: 'REASON_AGENT_RESTARTED',
        message: 'The task was being launched when the agent restarted',
      });
      return;
    }
    h.launcher.recover(t.containerId, spid, { sandbox: t.sandbox, resources: t.task.resources });
    h.startChecks(t);
    const started = t.statuses.find((s) => s.state === 'TASK_RUNNING')?.timestamp;
    if (started !== undefined) this.armCompletionDeadline(t, started * 1000);
    if (h.config.recover === 'cleanup') this.startKill(t, { grace_period: { nanoseconds: 0 } });
    else if (t.state === 'TASK_KILLING') this.startKill(t, undefined);
  }

  /** TaskInfo.max_completion_time: kill the task once it has run that long (TASK_FAILED, spec §3.4). */
  private armCompletionDeadline(t: TaskRecord, startedAtMs: number): void {
    const ns = t.task.max_completion_time?.nanoseconds;
    if (ns === undefined) return;
    const left = Math.max(0, startedAtMs + ns / 1e6 - this.host.clock.now());
    t.completionTimer = this.host.clock.after(left, () => {
      t.completionTimer = undefined;
      if (isTerminalState(t.state) || t.killRequested) return;
      t.timedOut = true;
      this.startKill(t, undefined);
    });
  }

  /** SIGTERM to the task's container now, SIGKILL after the grace period. */
  startKill(t: TaskRecord, policy: KillPolicy): void {
    const h = this.host;
    t.killRequested = true;
    h.stopChecks(t);
    const grace = killGraceMs(t.task, policy);
    const cid = t.containerId;
    if (grace <= 0) {
      h.track(this.signalSoon(cid, 'SIGKILL'));
      return;
    }
    h.track(this.signalSoon(cid, 'SIGTERM'));
    t.killTimer?.cancel();
    t.killTimer = h.clock.after(grace, () => {
      t.killTimer = undefined;
      if (!isTerminalState(t.state)) h.track(this.signalSoon(cid, 'SIGKILL'));
    });
  }

  /** Signals a container, retrying briefly while the supervisor has not yet written the task pid. */
  private async signalSoon(cid: string, sig: NodeJS.Signals): Promise<void> {
    for (let i = 0; i < 20; i++) {
      if (await this.host.launcher.signal(cid, sig)) return;
      const t = this.byContainer.get(cid);
      if (t === undefined || isTerminalState(t.state) || this.host.stopping()) return;
      await new Promise<void>((resolve) => this.host.clock.after(50, resolve));
    }
  }

  /** A task's container ended: its terminal status (a limitation fails it with upstream's reason). False if the container is not a task's. */
  onExit(cid: string, st: ContainerExit): boolean {
    const t = this.byContainer.get(cid);
    if (t === undefined) return false;
    this.host.stopChecks(t);
    t.killTimer?.cancel();
    t.killTimer = undefined;
    t.completionTimer?.cancel();
    t.completionTimer = undefined;
    if (isTerminalState(t.state)) return true;
    if (this.host.framework(t.fid)?.tasks.get(t.task.task_id.value) !== t) {
      // Its framework was shut down: no update is owed, just forget the container.
      this.byContainer.delete(cid);
      t.state = 'TASK_KILLED';
      return true;
    }
    // A container limitation (OOM, disk quota) fails the task with upstream's reason, unless it was being killed anyway.
    const lim = t.killRequested ? undefined : st.limitation;
    const f = lim !== undefined ? ({ state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: lim.reason, message: lim.message } as const) : exitStatusFields(st, t.killRequested, t.timedOut === true);
    this.host.track(this.host.transition(t, f));
    return true;
  }
}
