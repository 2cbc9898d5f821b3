/**
 * The isolator seam (STYLE.md §2): every isolator shares one life cycle, driven by the Containerizer:
 * `prepare` (in list order) → `isolate(pid)` → `watch` (settles only on a limitation) → `usage` /
 * `update` → `kill` (whole-container destroy) → `cleanup` (reverse order, continuing past failures).
 * Every step is optional except `cleanup`, which is idempotent (an unknown id is a no-op).
 *
 * Two additions to the sketch, both optional: `check(id)` answers "was a limit hit?" on demand (called
 * once when a container's task ends, so an OOM kill is reported as a limitation deterministically,
 * without waiting for the next watch poll), and `kill(id)` kills every process of the container
 * (cgroups: freeze, SIGKILL all, thaw). `recover(known)` receives the container ids the checkpoint
 * knows; an isolator destroys whatever else it finds under its own root (orphans).
 */

/** Resources of one container, from its TaskInfo/ExecutorInfo resources. */
export interface ContainerResources {
  readonly cpus: number;
  readonly memMb: number;
  readonly diskMb: number;
}

/** What an isolator needs to prepare a container. JSON-safe. */
export interface ContainerConfig {
  readonly containerId: string;
  readonly sandbox: string;
  readonly resources: ContainerResources;
}

/** How an isolator changes the supervisor command line (merged in isolator order). */
export interface LaunchPatch {
  /** `cgroup.procs` files the task process writes its own pid to before exec (so no child escapes). */
  readonly cgroupProcs?: readonly string[];
  /** argv prefix placed between `setsid` and the task (e.g. `unshare ... /bin/sh -c INIT`). */
  readonly wrapper?: readonly string[];
  /** The wrapper starts its own session (so the launcher's `setsid` is not needed). */
  readonly ownSession?: boolean;
}

/** A resource limit the container hit; becomes TASK_FAILED with this reason. */
export interface Limitation {
  readonly reason: 'REASON_CONTAINER_LIMITATION_MEMORY' | 'REASON_CONTAINER_LIMITATION_DISK' | 'REASON_CONTAINER_LIMITATION';
  readonly message: string;
}

/** ResourceStatistics fields (spec §5.7) an isolator can fill. */
export interface Usage {
  processes: number;
  threads: number;
  cpus_user_time_secs: number;
  cpus_system_time_secs: number;
  cpus_limit: number;
  cpus_nr_periods: number;
  cpus_nr_throttled: number;
  cpus_throttled_time_secs: number;
  mem_total_bytes: number;
  mem_rss_bytes: number;
  mem_cache_bytes: number;
  mem_limit_bytes: number;
  mem_soft_limit_bytes: number;
  disk_limit_bytes: number;
  disk_used_bytes: number;
}

/** One isolator. Owned and called only by the Containerizer. */
export interface Isolator {
  readonly name: string;
  recover?(known: ReadonlySet<string>): Promise<void>;
  /** Re-attach to a container started by an earlier agent process (paths are derived from the id). */
  adopt?(cfg: ContainerConfig): void;
  prepare?(cfg: ContainerConfig): Promise<LaunchPatch | undefined>;
  isolate?(id: string, pid: number): Promise<void>;
  watch?(id: string): Promise<Limitation>;
  check?(id: string): Promise<Limitation | undefined>;
  update?(id: string, want: ContainerResources): Promise<void>;
  usage?(id: string): Promise<Partial<Usage>>;
  /** Kills every process in the container. True when it found processes to kill (the other isolators are then skipped). */
  kill?(id: string): Promise<boolean>;
  cleanup(id: string): Promise<void>;
  /** Cancels timers. */
  stop?(): void;
}

/** Sums scalar resources by name from mesos.v1.Resource JSON. */
export function containerResources(resources: readonly { name: string; scalar?: { value: number } | undefined }[] | undefined): ContainerResources {
  const sum = (n: string): number => (resources ?? []).filter((r) => r.name === n).reduce((a, r) => a + (r.scalar?.value ?? 0), 0);
  return { cpus: sum('cpus'), memMb: sum('mem'), diskMb: sum('disk') };
}
