/**
 * Posix isolator (`posix/cpu`, `posix/mem`): no enforcement, only usage, summed over the task's process
 * group from /proc (one /proc pass for any number of containers). The fallback when cgroups cannot be
 * written or the agent is not root; kill is by process group (the launcher's signal), so a process that
 * leaves its group (setsid) escapes, which is the documented limit of this mode.
 */
import { CLK_TCK, PAGE_SIZE, usageByGroup } from '../usage.js';
import type { ContainerConfig, Isolator, Usage } from './isolator.js';
import { memLimitBytes } from './cgroups-limits.js';

export class PosixIsolator implements Isolator {
  readonly name = 'posix';
  private readonly configs = new Map<string, ContainerConfig>();

  constructor(private readonly pidOf: (id: string) => Promise<number | undefined>) {}

  adopt(cfg: ContainerConfig): void {
    this.configs.set(cfg.containerId, cfg);
  }

  async prepare(cfg: ContainerConfig): Promise<undefined> {
    this.configs.set(cfg.containerId, cfg);
    return undefined;
  }

  async usage(id: string): Promise<Partial<Usage>> {
    return (await this.usageMany([id])).get(id) ?? {};
  }

  /** Usage of many containers from one /proc pass. */
  async usageMany(ids: readonly string[]): Promise<Map<string, Partial<Usage>>> {
    const pgids = new Map<string, number>();
    for (const id of ids) {
      const pid = await this.pidOf(id);
      if (pid !== undefined) pgids.set(id, pid);
    }
    const byGroup = await usageByGroup(new Set(pgids.values()));
    const out = new Map<string, Partial<Usage>>();
    for (const id of ids) {
      const pg = pgids.get(id);
      const u = pg === undefined ? undefined : byGroup.get(pg);
      const cfg = this.configs.get(id);
      out.set(id, {
        processes: u?.processes ?? 0,
        threads: u?.threads ?? 0,
        cpus_user_time_secs: (u?.utimeTicks ?? 0) / CLK_TCK,
        cpus_system_time_secs: (u?.stimeTicks ?? 0) / CLK_TCK,
        mem_rss_bytes: (u?.rssPages ?? 0) * PAGE_SIZE,
        mem_total_bytes: (u?.rssPages ?? 0) * PAGE_SIZE,
        ...(cfg !== undefined && cfg.resources.memMb > 0 ? { mem_limit_bytes: memLimitBytes(cfg.resources.memMb) } : {}),
      });
    }
    return out;
  }

  async cleanup(id: string): Promise<void> {
    this.configs.delete(id);
  }
}
