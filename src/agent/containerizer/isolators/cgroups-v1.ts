/**
 * cgroups v1 isolator (`cgroups/cpu`, `cgroups/mem`, `cgroups/pids`): one cgroup per container in each
 * mounted controller (cpu, cpuacct, memory, pids, freezer). cpu.shares = 1024 × cpus (CFS quota with
 * `--cgroups_enable_cfs`), memory hard + soft limit (and memsw, so a swapping host still enforces it),
 * pids.max. The task joins every cgroup itself before exec (LaunchPatch.cgroupProcs). Whole-container
 * kill: freeze, SIGKILL every pid, thaw, so nothing can fork while being killed. OOM is read from
 * `memory.oom_control` (`oom_kill`), at exit and by polling.
 */
import { join } from 'node:path';
import type { Clock } from '../../../core/clock.js';
import { sleep } from '../../../core/clock.js';
import type { ContainerConfig, Isolator, LaunchPatch, Limitation, Usage, ContainerResources } from './isolator.js';
import { readdir } from 'node:fs/promises';
import { cgroupPids, ensureDir, killAll, parseKeyed, readCg, removeCgroup, sweepStale, writeCg, type V1Controller } from './cgroups-host.js';
import { LimitWatcher } from './limit-watcher.js';
import { cfsQuotaUs, CFS_PERIOD_US, cpuShares, memLimitBytes, type CgroupOptions } from './cgroups-limits.js';

const USER_HZ = 100;

export class CgroupsV1Isolator implements Isolator {
  readonly name = 'cgroups/v1';
  private readonly configs = new Map<string, ContainerConfig>();
  private readonly watcher: LimitWatcher;

  constructor(
    private readonly mounts: Readonly<Partial<Record<V1Controller, string>>>,
    private readonly opts: CgroupOptions,
    private readonly clock: Clock,
  ) {
    this.watcher = new LimitWatcher(clock, opts.watchIntervalMs, (id) => this.check(id));
  }

  /** Directory of a container (or of this agent's base when id is undefined) in one controller. */
  dir(c: V1Controller, id?: string): string | undefined {
    const m = this.mounts[c];
    if (m === undefined) return undefined;
    return id === undefined ? join(m, this.opts.base) : join(m, this.opts.base, id);
  }

  /** Distinct container dirs (cpu and cpuacct may be one co-mounted hierarchy). */
  private dirs(id: string): string[] {
    const out = new Set<string>();
    for (const c of Object.keys(this.mounts) as V1Controller[]) {
      const d = this.dir(c, id);
      if (d !== undefined) out.add(d);
    }
    return [...out];
  }

  /** Creates this agent's base cgroups; throws when the hierarchy is not writable. */
  async init(): Promise<void> {
    for (const c of Object.keys(this.mounts) as V1Controller[]) {
      const d = this.dir(c);
      if (d !== undefined) await ensureDir(d);
    }
    // Hierarchical accounting, so a container's limit covers all its descendants (the default on recent kernels).
    const mem = this.dir('memory');
    if (mem !== undefined) await writeCg(join(mem, 'memory.use_hierarchy'), '1').catch(() => undefined);
    const own = this.opts.base.split('/').at(-1) ?? '';
    for (const m of new Set(Object.values(this.mounts))) void sweepStale(join(m, this.opts.base, '..'), this.clock, own, true).catch(() => undefined);
  }

  async recover(known: ReadonlySet<string>): Promise<void> {
    for (const c of Object.keys(this.mounts) as V1Controller[]) {
      const base = this.dir(c);
      if (base === undefined) continue;
      const entries = await readdir(base, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (!e.isDirectory() || known.has(e.name)) continue;
        await this.kill(e.name);
        await removeCgroup(join(base, e.name), this.clock).catch(() => undefined);
      }
    }
  }

  adopt(cfg: ContainerConfig): void {
    this.configs.set(cfg.containerId, cfg);
  }

  async prepare(cfg: ContainerConfig): Promise<LaunchPatch> {
    const id = cfg.containerId;
    this.configs.set(id, cfg);
    await Promise.all(this.dirs(id).map((d) => ensureDir(d)));
    await this.update(id, cfg.resources);
    return { cgroupProcs: this.dirs(id).map((d) => join(d, 'cgroup.procs')) };
  }

  async update(id: string, want: ContainerResources): Promise<void> {
    const cpu = this.dir('cpu', id);
    const mem = this.dir('memory', id);
    const pids = this.dir('pids', id);
    const writes: Promise<void>[] = [];
    // No cpus (an executor launched without resources) keeps the kernel default weight, not the minimum.
    if (cpu !== undefined && this.opts.cpu && want.cpus > 0) {
      writes.push(writeCg(join(cpu, 'cpu.shares'), String(cpuShares(want.cpus))));
      if (this.opts.enableCfs) {
        writes.push(writeCg(join(cpu, 'cpu.cfs_period_us'), String(CFS_PERIOD_US)).then(() => writeCg(join(cpu, 'cpu.cfs_quota_us'), String(cfsQuotaUs(want.cpus)))));
      }
    }
    if (mem !== undefined && this.opts.mem && want.memMb > 0) {
      const limit = String(memLimitBytes(want.memMb));
      writes.push(
        (async () => {
          await writeCg(join(mem, 'memory.soft_limit_in_bytes'), limit);
          // The kernel keeps limit <= memsw.limit: raising needs memsw first, lowering needs limit first,
          // so memsw is written on both sides (only where swap accounting exists; a refused write is retried after).
          await writeCg(join(mem, 'memory.memsw.limit_in_bytes'), limit).catch(() => undefined);
          await writeCg(join(mem, 'memory.limit_in_bytes'), limit);
          // Swap counts against the limit too.
          await writeCg(join(mem, 'memory.memsw.limit_in_bytes'), limit).catch(() => undefined);
        })(),
      );
    }
    if (pids !== undefined && this.opts.pids && this.opts.maxPids > 0) writes.push(writeCg(join(pids, 'pids.max'), String(this.opts.maxPids)));
    await Promise.all(writes);
  }

  watch(id: string): Promise<Limitation> {
    return this.watcher.watch(id);
  }

  async check(id: string): Promise<Limitation | undefined> {
    const mem = this.dir('memory', id);
    if (mem === undefined || !this.opts.mem) return undefined;
    const oom = parseKeyed(await readCg(join(mem, 'memory.oom_control'))).get('oom_kill') ?? 0;
    if (oom === 0) return undefined;
    const maxUsed = Number((await readCg(join(mem, 'memory.max_usage_in_bytes'))).trim()) || 0;
    const req = this.configs.get(id)?.resources.memMb ?? 0;
    return { reason: 'REASON_CONTAINER_LIMITATION_MEMORY', message: `Memory limit exceeded: Requested: ${req}MB Maximum Used: ${Math.round(maxUsed / 1048576)}MB` };
  }

  async usage(id: string): Promise<Partial<Usage>> {
    const out: Partial<Usage> = {};
    const acct = this.dir('cpuacct', id);
    if (acct !== undefined) {
      const s = parseKeyed(await readCg(join(acct, 'cpuacct.stat')));
      out.cpus_user_time_secs = (s.get('user') ?? 0) / USER_HZ;
      out.cpus_system_time_secs = (s.get('system') ?? 0) / USER_HZ;
    }
    const cpu = this.dir('cpu', id);
    if (cpu !== undefined) {
      const s = parseKeyed(await readCg(join(cpu, 'cpu.stat')));
      out.cpus_nr_periods = s.get('nr_periods') ?? 0;
      out.cpus_nr_throttled = s.get('nr_throttled') ?? 0;
      out.cpus_throttled_time_secs = (s.get('throttled_time') ?? 0) / 1e9;
    }
    const mem = this.dir('memory', id);
    if (mem !== undefined) {
      const s = parseKeyed(await readCg(join(mem, 'memory.stat')));
      out.mem_total_bytes = Number((await readCg(join(mem, 'memory.usage_in_bytes'))).trim()) || 0;
      out.mem_rss_bytes = s.get('total_rss') ?? s.get('rss') ?? 0;
      out.mem_cache_bytes = s.get('total_cache') ?? s.get('cache') ?? 0;
      const cfg = this.configs.get(id);
      if (cfg !== undefined && cfg.resources.memMb > 0) {
        out.mem_limit_bytes = memLimitBytes(cfg.resources.memMb);
        out.mem_soft_limit_bytes = out.mem_limit_bytes;
      }
    }
    const procsDir = this.dir('pids', id) ?? this.dir('freezer', id);
    if (procsDir !== undefined) out.processes = (await cgroupPids(procsDir)).length;
    const pids = this.dir('pids', id);
    if (pids !== undefined) out.threads = Number((await readCg(join(pids, 'pids.current'))).trim()) || 0;
    return out;
  }

  async kill(id: string): Promise<boolean> {
    const freezer = this.dir('freezer', id);
    const dirs = this.dirs(id);
    if (dirs.length === 0) return false;
    let any = false;
    for (const d of dirs) if ((await cgroupPids(d)).length > 0) any = true;
    if (!any) return false;
    if (freezer !== undefined && (await readCg(join(freezer, 'freezer.state'))) !== '') {
      await writeCg(join(freezer, 'freezer.state'), 'FROZEN').catch(() => undefined);
      for (let i = 0; i < 50 && (await readCg(join(freezer, 'freezer.state'))).trim() === 'FREEZING'; i++) await sleep(this.clock, 10);
      killAll(await cgroupPids(freezer));
      await writeCg(join(freezer, 'freezer.state'), 'THAWED').catch(() => undefined);
    }
    for (const d of dirs) killAll(await cgroupPids(d));
    return true;
  }

  async cleanup(id: string): Promise<void> {
    this.watcher.forget(id);
    this.configs.delete(id);
    const errors: unknown[] = [];
    for (const d of this.dirs(id)) await removeCgroup(d, this.clock).catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw errors[0];
  }

  stop(): void {
    this.watcher.stop();
  }
}
