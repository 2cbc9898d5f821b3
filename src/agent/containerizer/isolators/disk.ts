/**
 * `disk/du` isolator: measures each sandbox with `du -sk` every `--container_disk_watch_interval`
 * (one `du` at a time, so many containers do not fork a burst of processes) and, with
 * `--enforce_container_disk_quota`, reports REASON_CONTAINER_LIMITATION_DISK once a sandbox grows past
 * the container's `disk` resource. The last measurement serves `disk_used_bytes` in usage.
 */
import { execFile } from 'node:child_process';
import type { Clock } from '../../../core/clock.js';
import type { ContainerConfig, Isolator, Limitation, Usage } from './isolator.js';
import { LimitWatcher } from './limit-watcher.js';

/** Bytes used under `path` according to `du -sk` (undefined when du fails). */
export function duBytes(path: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile('du', ['-sk', path], { timeout: 60_000 }, (err, stdout) => {
      const kb = Number(/^(\d+)/.exec(stdout)?.[1]);
      resolve(err === null && Number.isFinite(kb) ? kb * 1024 : undefined);
    });
  });
}

export class DiskIsolator implements Isolator {
  readonly name = 'disk/du';
  private readonly configs = new Map<string, ContainerConfig>();
  private readonly used = new Map<string, number>();
  private readonly watcher: LimitWatcher;

  constructor(
    clock: Clock,
    intervalMs: number,
    private readonly enforce: boolean,
    private readonly measure: (path: string) => Promise<number | undefined> = duBytes,
  ) {
    this.watcher = new LimitWatcher(clock, intervalMs, (id) => this.poll(id));
  }

  adopt(cfg: ContainerConfig): void {
    this.configs.set(cfg.containerId, cfg);
  }

  async prepare(cfg: ContainerConfig): Promise<undefined> {
    this.configs.set(cfg.containerId, cfg);
    return undefined;
  }

  watch(id: string): Promise<Limitation> {
    return this.watcher.watch(id);
  }

  /** Measures now; a limitation only when enforcing and over the `disk` resource. */
  async poll(id: string): Promise<Limitation | undefined> {
    const cfg = this.configs.get(id);
    if (cfg === undefined) return undefined;
    const used = await this.measure(cfg.sandbox);
    if (used === undefined || !this.configs.has(id)) return undefined;
    this.used.set(id, used);
    const limit = cfg.resources.diskMb * 1024 * 1024;
    if (!this.enforce || limit <= 0 || used <= limit) return undefined;
    return { reason: 'REASON_CONTAINER_LIMITATION_DISK', message: `Disk usage (${Math.ceil(used / 1048576)}MB) exceeds quota (${cfg.resources.diskMb}MB)` };
  }

  async usage(id: string): Promise<Partial<Usage>> {
    const cfg = this.configs.get(id);
    const used = this.used.get(id);
    return {
      ...(used !== undefined ? { disk_used_bytes: used } : {}),
      ...(cfg !== undefined && cfg.resources.diskMb > 0 ? { disk_limit_bytes: cfg.resources.diskMb * 1024 * 1024 } : {}),
    };
  }

  async cleanup(id: string): Promise<void> {
    this.watcher.forget(id);
    this.configs.delete(id);
    this.used.delete(id);
  }

  stop(): void {
    this.watcher.stop();
  }
}
