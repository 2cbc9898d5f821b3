/**
 * The Containerizer: the posix launcher (one shell supervisor per task, see README.md) plus a list of
 * isolators sharing one life cycle: prepare in order, watch, usage, kill, cleanup in reverse (past
 * failures). It keeps PosixLauncher's public surface (init, prefix, launch, recover, taskPid,
 * supervisorPid, signal, size, stop), so the agent drives tasks and custom executors the same way, and
 * adds limitations (OOM, disk) to the exit status, orphan destruction and boot id tracking. Not an actor
 * of its own: the agent calls it and receives `onExit` exactly once per container.
 */
import { access, chown, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { holdProcessOpen, sleep, type Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import { silentLogger } from '../../core/log.js';
import { errorMessage } from '../../core/errors.js';
import { PosixLauncher, type ExitStatus, type LaunchIsolation, type LaunchSpec } from './launcher.js';
import { containerResources, type ContainerConfig, type Isolator, type Limitation, type Usage } from './isolators/isolator.js';
import { PosixIsolator } from './isolators/posix.js';
import { DiskIsolator } from './isolators/disk.js';
import { selectIsolators, type ContainerizerSettings } from './select.js';
import { findTool, lookupUser, rlimitOptions, setprivArgv } from './task-user.js';

export { DEFAULT_CONTAINERIZER_SETTINGS, type ContainerizerSettings } from './select.js';

/** An exit status, with the limitation that ended the container when there was one. */
export type ContainerExit = ExitStatus & { readonly limitation?: Limitation };

/** A launch: the posix LaunchSpec plus what isolation needs (all optional: old callers still work). */
export interface ContainerLaunchSpec extends LaunchSpec {
  readonly resources?: readonly { name: string; scalar?: { value: number } | undefined }[] | undefined;
  /** ContainerInfo JSON (rlimit_info is honoured). */
  readonly container?: unknown;
}

export interface ContainerizerDeps {
  readonly workDir: string;
  readonly logger?: Logger;
  readonly pollIntervalMs?: number;
  /** Tests point these at files of their own. */
  readonly bootIdPath?: string;
  readonly passwdPath?: string;
  readonly isRoot?: boolean;
  /** Replaces host selection (tests of the life cycle). */
  readonly isolators?: readonly Isolator[];
}

export class Containerizer extends PosixLauncher {
  private isolators: Isolator[] = [];
  private posix: PosixIsolator | undefined;
  private readonly configs = new Map<string, ContainerConfig>();
  private readonly limited = new Map<string, Limitation>();
  private readonly logger: Logger;
  /** Effective isolation (upstream names), shown in `/flags`. */
  isolation = 'posix/cpu,posix/mem';
  private namespaced = false;
  /** Namespaced containers launched here whose ready file has not been seen yet. */
  private readonly starting = new Set<string>();
  private stopped = false;
  /** How namespaced tasks start ('agora-init', 'shell (why)', 'none'). */
  initMode = 'none';
  /** 'v1', 'v2' or 'none'. */
  cgroupsVersion = 'none';
  /** Why the posix fallback or a reduced set was chosen ('' when everything asked for is on). */
  fallbackReason = '';

  private readonly clk: Clock;
  private readonly reportExit: (containerId: string, status: ContainerExit) => void;
  private readonly settings: ContainerizerSettings;
  private readonly deps: ContainerizerDeps;

  constructor(runsDir: string, clock: Clock, onExit: (containerId: string, status: ContainerExit) => void, settings: ContainerizerSettings, deps: ContainerizerDeps) {
    // The launcher reports task ends to finish() (limitations, cleanup), which reports to the agent.
    const self: { c?: Containerizer } = {};
    super(runsDir, clock, (cid, st) => void self.c?.finish(cid, st), deps.pollIntervalMs ?? 1000);
    self.c = this;
    this.clk = clock;
    this.reportExit = onExit;
    this.settings = settings;
    this.deps = deps;
    this.logger = deps.logger ?? silentLogger();
  }

  /** Creates the runs dir and picks the isolators the host allows (logged). */
  override async init(): Promise<void> {
    await super.init();
    if (this.deps.isolators !== undefined) {
      this.isolators = [...this.deps.isolators];
      this.isolation = this.isolators.map((i) => i.name).join(',');
      return;
    }
    const sel = await selectIsolators(this.settings, { workDir: this.deps.workDir, clock: this.clk, isRoot: this.deps.isRoot ?? process.getuid?.() === 0, prefix: (id) => this.prefix(id) });
    this.namespaced = sel.namespaces;
    this.isolators = sel.isolators;
    if (sel.posix) {
      this.posix = new PosixIsolator((id) => this.taskPid(id));
      this.isolators.unshift(this.posix);
    }
    if (sel.disk) this.isolators.push(new DiskIsolator(this.clk, this.settings.diskWatchIntervalMs, this.settings.enforceDiskQuota));
    this.isolation = sel.names.join(',');
    this.cgroupsVersion = sel.cgroupsVersion;
    this.fallbackReason = sel.reason;
    this.initMode = sel.init;
    const log = { isolation: this.isolation, cgroups: this.cgroupsVersion, init: sel.init, ...(sel.reason !== '' ? { reason: sel.reason } : {}) };
    if (sel.reason !== '') this.logger.warn(log, 'containerizer: isolation reduced');
    else this.logger.info(log, 'containerizer: isolation chosen');
  }

  /** Prepares every isolator, then starts the supervisor; resolves with its pid. Throws on any failure (nothing left behind). */
  override async launch(spec: ContainerLaunchSpec, extra: LaunchIsolation = {}): Promise<number> {
    const id = spec.containerId;
    const cfg: ContainerConfig = { containerId: id, sandbox: spec.sandbox, resources: containerResources(spec.resources) };
    // Inside the namespaces: rlimits (raised as root), then the user switch, then the task.
    const inner: string[] = [];
    const rl = rlimitOptions(spec.container);
    if (rl.length > 0) inner.push(findTool('prlimit') ?? 'prlimit', ...rl, '--');
    const userName = spec.command.user;
    if (userName !== undefined && userName !== '' && this.settings.switchUser) {
      const u = await lookupUser(userName, this.deps.passwdPath);
      if (u === undefined) throw new Error(`Failed to switch to user '${userName}': the user does not exist on this agent`);
      if (u.uid !== process.getuid?.()) {
        const setpriv = findTool('setpriv');
        if (setpriv === undefined) throw new Error(`Cannot run as user '${userName}': setpriv (util-linux) not found`);
        await chownTree(spec.sandbox, u.uid, u.gid);
        inner.push(...setprivArgv(setpriv, u));
      }
    }
    const cgroupProcs: string[] = [...(extra.cgroupProcs ?? [])];
    const wrappers: string[] = [];
    let ownSession = false;
    const prepared: Isolator[] = [];
    this.configs.set(id, cfg);
    try {
      for (const iso of this.isolators) {
        prepared.push(iso);
        const patch = await iso.prepare?.(cfg);
        cgroupProcs.push(...(patch?.cgroupProcs ?? []));
        wrappers.push(...(patch?.wrapper ?? []));
        if (patch?.ownSession === true) ownSession = true;
      }
      if (this.namespaced) this.starting.add(id);
      const pid = await super.launch(spec, { cgroupProcs, prefix: [...wrappers, ...inner, ...(extra.prefix ?? [])], setsid: !ownSession });
      this.startWatches(id);
      return pid;
    } catch (e: unknown) {
      this.configs.delete(id);
      this.starting.delete(id);
      await this.cleanupAll(id, prepared);
      throw e;
    }
  }

  /**
   * New limits for a running container (an executor that received more tasks, as upstream's
   * `containerizer->update`): every isolator that can change a live container applies them.
   */
  async update(containerId: string, resources: ContainerLaunchSpec['resources']): Promise<void> {
    const cfg = this.configs.get(containerId);
    if (cfg === undefined) return;
    const next: ContainerConfig = { ...cfg, resources: containerResources(resources) };
    this.configs.set(containerId, next);
    for (const iso of this.isolators) await iso.update?.(containerId, next.resources);
  }

  /** Supervises a container started by an earlier agent process (see PosixLauncher.recover). */
  override recover(containerId: string, supervisorPid: number, spec?: { readonly sandbox: string; readonly resources?: ContainerLaunchSpec['resources'] }): void {
    const cfg: ContainerConfig = { containerId, sandbox: spec?.sandbox ?? '', resources: containerResources(spec?.resources) };
    this.configs.set(containerId, cfg);
    for (const iso of this.isolators) iso.adopt?.(cfg);
    super.recover(containerId, supervisorPid);
    this.startWatches(containerId);
  }

  /**
   * Destroys containers the kernel has but the checkpoint does not (call after every live container
   * was recovered): each isolator kills and removes what it finds under its root that is not supervised.
   */
  async destroyOrphans(): Promise<void> {
    const known = new Set(this.ids());
    // Runs before the agent listens: its short waits (cgroup removal retries) must keep the process alive.
    const release = holdProcessOpen();
    try {
      for (const iso of this.isolators) {
        await iso.recover?.(known).catch((e: unknown) => this.logger.warn({ isolator: iso.name, err: errorMessage(e) }, 'orphan cleanup failed'));
      }
    } finally {
      release();
    }
  }

  /**
   * True when the machine rebooted since this work dir was last used (boot id changed): nothing from
   * before can still be running, and upstream then registers as a new agent. Records the current id.
   */
  async rebooted(): Promise<boolean> {
    const now = (await readFile(this.deps.bootIdPath ?? '/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim();
    const file = join(this.runsDir, 'boot_id');
    const before = (await readFile(file, 'utf8').catch(() => '')).trim();
    if (now !== '' && now !== before) await writeFile(file, `${now}\n`);
    return before !== '' && now !== '' && before !== now;
  }

  /**
   * Signals the task's process group; SIGKILL also kills the whole container through its isolators
   * (cgroup freeze/kill/thaw), so processes that left the group die too.
   */
  override async signal(containerId: string, signal: NodeJS.Signals): Promise<boolean> {
    // A graceful signal before the namespaced task is forked would be dropped by the init: report "not yet"
    // (callers retry). Only containers this process started can be that young (recovered ones are not gated).
    if (signal !== 'SIGKILL' && this.starting.has(containerId)) {
      if (!(await exists(`${this.prefix(containerId)}.ready`))) return false;
      this.starting.delete(containerId);
    }
    const sent = await super.signal(containerId, signal);
    if (signal !== 'SIGKILL' || !this.configs.has(containerId)) return sent;
    // SIGKILL reaching a pid namespace's init takes the whole namespace down at once; the cgroup kill is
    // then left to the exit path (finish), which finds the cgroup empty in the common case.
    if (sent && this.namespaced) return true;
    if ((await this.killContainer(containerId)) || sent) return true;
    // Nothing to signal yet: the task is between fork and its own session/cgroup join. A kill must not be
    // lost there, so keep trying in the background until it lands or the container ends.
    this.track(this.killWhenStarted(containerId));
    return true;
  }

  /** Usage per container (statistics fields), for `/monitor/statistics` and `/containers`. */
  async usage(ids: readonly string[]): Promise<Map<string, Partial<Usage>>> {
    const out = new Map<string, Partial<Usage>>();
    const posix = this.posix !== undefined ? await this.posix.usageMany(ids) : undefined;
    // Containers are read concurrently: a thousand of them is ten thousand small cgroup reads.
    await Promise.all(
      ids.map(async (id) => {
        const u: Partial<Usage> = { ...(posix?.get(id) ?? {}) };
        for (const iso of this.isolators) if (iso !== this.posix && iso.usage !== undefined) Object.assign(u, await iso.usage(id).catch(() => ({})));
        u.cpus_limit = this.configs.get(id)?.resources.cpus ?? 0;
        out.set(id, u);
      }),
    );
    return new Map(ids.map((id) => [id, out.get(id) ?? {}]));
  }

  override stop(): void {
    this.stopped = true;
    super.stop();
    for (const iso of this.isolators) iso.stop?.();
  }

  private startWatches(id: string): void {
    for (const iso of this.isolators) {
      if (iso.watch === undefined) continue;
      void iso.watch(id).then((l) => this.onLimitation(id, l));
    }
  }

  private async killWhenStarted(id: string): Promise<void> {
    for (let i = 0; i < 400 && this.configs.has(id) && !this.stopped; i++) {
      await sleep(this.clk, 25);
      if ((await super.signal(id, 'SIGKILL')) || (await this.killContainer(id))) return;
    }
  }

  private track(p: Promise<void>): void {
    void p.catch((e: unknown) => this.logger.warn({ err: errorMessage(e) }, 'containerizer background work failed'));
  }

  private onLimitation(id: string, l: Limitation): void {
    if (!this.configs.has(id) || this.limited.has(id)) return;
    this.limited.set(id, l);
    this.logger.warn({ containerId: id, reason: l.reason, message: l.message }, 'container limitation: destroying the container');
    void this.signal(id, 'SIGKILL');
  }

  private async killContainer(id: string): Promise<boolean> {
    for (const iso of this.isolators) {
      if (iso.kill === undefined) continue;
      try {
        if (await iso.kill(id)) return true;
      } catch (e: unknown) {
        this.logger.warn({ containerId: id, isolator: iso.name, err: errorMessage(e) }, 'container kill failed');
      }
    }
    return false;
  }

  /** The task ended (launcher callback): learn any limitation, kill leftovers, clean up (reverse order), then report. */
  private async finish(id: string, st: ExitStatus): Promise<void> {
    let limitation = this.limited.get(id);
    if (this.configs.has(id)) {
      for (const iso of this.isolators) {
        if (limitation !== undefined) break;
        limitation = await iso.check?.(id).catch(() => undefined);
      }
      await this.killContainer(id);
      await this.cleanupAll(id, this.isolators);
    }
    this.configs.delete(id);
    this.limited.delete(id);
    if (this.namespaced) await rm(`${this.prefix(id)}.ready`, { force: true }).catch(() => undefined);
    this.starting.delete(id);
    this.reportExit(id, limitation !== undefined ? { ...st, limitation } : st);
  }

  private async cleanupAll(id: string, isolators: readonly Isolator[]): Promise<void> {
    for (const iso of [...isolators].reverse()) {
      try {
        await iso.cleanup(id);
      } catch (e: unknown) {
        this.logger.warn({ containerId: id, isolator: iso.name, err: errorMessage(e) }, 'isolator cleanup failed');
      }
    }
  }
}

/** chown -R for a fresh sandbox (the fetched files and the dirs made for the task). */
async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  for (const e of await readdir(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    if (e.isDirectory()) await chownTree(p, uid, gid);
    else if (!e.isSymbolicLink()) await chown(p, uid, gid);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
