/**
 * cgroups v2 isolator: one cgroup per container at `<unified>/<base>/<cid>` with `cpu.weight` (from
 * shares), `cpu.max` (with `--cgroups_enable_cfs`), `memory.max` + `memory.low` (soft limit), `pids.max`.
 * Controllers are enabled down the agent's own subtree (`cgroup.subtree_control`). Whole-container kill
 * uses `cgroup.kill` where the kernel has it (5.14+), else freeze (`cgroup.freeze`), SIGKILL all, thaw.
 * OOM is `oom_kill` in `memory.events`.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../../core/clock.js';
import { sleep } from '../../../core/clock.js';
import type { ContainerConfig, ContainerResources, Isolator, LaunchPatch, Limitation, Usage } from './isolator.js';
import { cgroupPids, ensureDir, killAll, parseKeyed, readCg, removeCgroup, sweepStale, writeCg } from './cgroups-host.js';
import { LimitWatcher } from './limit-watcher.js';
import { CFS_PERIOD_US, cfsQuotaUs, cpuWeight, memLimitBytes, type CgroupOptions } from './cgroups-limits.js';

export class CgroupsV2Isolator implements Isolator {
  readonly name = 'cgroups/v2';
  private readonly configs = new Map<string, ContainerConfig>();
  private readonly watcher: LimitWatcher;

  constructor(
    private readonly mount: string,
    private readonly controllers: ReadonlySet<string>,
    private readonly opts: CgroupOptions,
    private readonly clock: Clock,
  ) {
    this.watcher = new LimitWatcher(clock, opts.watchIntervalMs, (id) => this.check(id));
  }

  dir(id?: string): string {
    return id === undefined ? join(this.mount, this.opts.base) : join(this.mount, this.opts.base, id);
  }

  /** Creates the base and enables cpu/memory/pids for the children of every level down to it. */
  async init(): Promise<void> {
    await ensureDir(this.dir());
    void sweepStale(join(this.dir(), '..'), this.clock, this.opts.base.split('/').at(-1) ?? '', false).catch(() => undefined);
    const wanted = ['cpu', 'memory', 'pids'].filter((c) => this.controllers.has(c));
    const enable = wanted.map((c) => `+${c}`).join(' ');
    if (enable === '') return;
    let level = this.mount;
    for (const part of ['', ...this.opts.base.split('/')]) {
      level = part === '' ? level : join(level, part);
      // Writing what is already enabled is a no-op; a level that cannot delegate fails loudly here.
      const on = (await readCg(join(level, 'cgroup.subtree_control'))).trim().split(/\s+/);
      if (wanted.every((c) => on.includes(c))) continue;
      await writeCg(join(level, 'cgroup.subtree_control'), enable);
    }
  }

  async recover(known: ReadonlySet<string>): Promise<void> {
    const entries = await readdir(this.dir(), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isDirectory() || known.has(e.name)) continue;
      await this.kill(e.name);
      await removeCgroup(this.dir(e.name), this.clock).catch(() => undefined);
    }
  }

  adopt(cfg: ContainerConfig): void {
    this.configs.set(cfg.containerId, cfg);
  }

  async prepare(cfg: ContainerConfig): Promise<LaunchPatch> {
    this.configs.set(cfg.containerId, cfg);
    await ensureDir(this.dir(cfg.containerId));
    await this.update(cfg.containerId, cfg.resources);
    return { cgroupProcs: [join(this.dir(cfg.containerId), 'cgroup.procs')] };
  }

  async update(id: string, want: ContainerResources): Promise<void> {
    const d = this.dir(id);
    const writes: Promise<void>[] = [];
    if (this.opts.cpu && this.controllers.has('cpu') && want.cpus > 0) {
      writes.push(writeCg(join(d, 'cpu.weight'), String(cpuWeight(want.cpus))));
      if (this.opts.enableCfs) writes.push(writeCg(join(d, 'cpu.max'), `${cfsQuotaUs(want.cpus)} ${CFS_PERIOD_US}`));
    }
    if (this.opts.mem && this.controllers.has('memory') && want.memMb > 0) {
      const limit = String(memLimitBytes(want.memMb));
      writes.push(writeCg(join(d, 'memory.max'), limit), writeCg(join(d, 'memory.low'), limit));
      // No swap beyond the limit, as on v1 with memsw (absent without swap accounting).
      writes.push(writeCg(join(d, 'memory.swap.max'), '0').catch(() => undefined));
    }
    if (this.opts.pids && this.controllers.has('pids') && this.opts.maxPids > 0) writes.push(writeCg(join(d, 'pids.max'), String(this.opts.maxPids)));
    await Promise.all(writes);
  }

  watch(id: string): Promise<Limitation> {
    return this.watcher.watch(id);
  }

  async check(id: string): Promise<Limitation | undefined> {
    if (!this.opts.mem) return undefined;
    const oom = parseKeyed(await readCg(join(this.dir(id), 'memory.events'))).get('oom_kill') ?? 0;
    if (oom === 0) return undefined;
    const peak = Number((await readCg(join(this.dir(id), 'memory.peak'))).trim()) || 0;
    const req = this.configs.get(id)?.resources.memMb ?? 0;
    return { reason: 'REASON_CONTAINER_LIMITATION_MEMORY', message: `Memory limit exceeded: Requested: ${req}MB Maximum Used: ${Math.round(peak / 1048576)}MB` };
  }

  async usage(id: string): Promise<Partial<Usage>> {
    const d = this.dir(id);
    const cpu = parseKeyed(await readCg(join(d, 'cpu.stat')));
    const mem = parseKeyed(await readCg(join(d, 'memory.stat')));
    const out: Partial<Usage> = {
      cpus_user_time_secs: (cpu.get('user_usec') ?? 0) / 1e6,
      cpus_system_time_secs: (cpu.get('system_usec') ?? 0) / 1e6,
      cpus_nr_periods: cpu.get('nr_periods') ?? 0,
      cpus_nr_throttled: cpu.get('nr_throttled') ?? 0,
      cpus_throttled_time_secs: (cpu.get('throttled_usec') ?? 0) / 1e6,
      mem_total_bytes: Number((await readCg(join(d, 'memory.current'))).trim()) || 0,
      mem_rss_bytes: mem.get('anon') ?? 0,
      mem_cache_bytes: mem.get('file') ?? 0,
      processes: (await cgroupPids(d)).length,
      threads: Number((await readCg(join(d, 'pids.current'))).trim()) || 0,
    };
    const cfg = this.configs.get(id);
    if (cfg !== undefined && cfg.resources.memMb > 0) {
      out.mem_limit_bytes = memLimitBytes(cfg.resources.memMb);
      out.mem_soft_limit_bytes = out.mem_limit_bytes;
    }
    return out;
  }

  async kill(id: string): Promise<boolean> {
    const d = this.dir(id);
    const files = await readdir(d).catch(() => undefined);
    if (files === undefined || (await cgroupPids(d)).length === 0) return false;
    if (files.includes('cgroup.kill')) {
      await writeCg(join(d, 'cgroup.kill'), '1');
      return true;
    }
    await writeCg(join(d, 'cgroup.freeze'), '1').catch(() => undefined);
    for (let i = 0; i < 50 && !/frozen 1/.test(await readCg(join(d, 'cgroup.events'))); i++) await sleep(this.clock, 10);
    killAll(await cgroupPids(d));
    await writeCg(join(d, 'cgroup.freeze'), '0').catch(() => undefined);
    return true;
  }

  async cleanup(id: string): Promise<void> {
    this.watcher.forget(id);
    this.configs.delete(id);
    await removeCgroup(this.dir(id), this.clock);
  }

  stop(): void {
    this.watcher.stop();
  }
}
