/** Resource → cgroup value conversions shared by the v1 and v2 isolators (upstream's constants). */

/** Options common to both cgroup isolators. */
export interface CgroupOptions {
  /** `<cgroups_root>/<agent key>` (see agentCgroupBase). */
  readonly base: string;
  readonly cpu: boolean;
  readonly mem: boolean;
  readonly pids: boolean;
  readonly enableCfs: boolean;
  /** pids.max per container; 0 = no limit. */
  readonly maxPids: number;
  /** OOM poll interval. */
  readonly watchIntervalMs: number;
}

export const CPU_SHARES_PER_CPU = 1024;
export const MIN_CPU_SHARES = 2;
export const CFS_PERIOD_US = 100_000;
export const MIN_CFS_QUOTA_US = 1000;
/** Upstream refuses less: a smaller limit OOMs the task's own loader. */
export const MIN_MEMORY_MB = 32;

export function cpuShares(cpus: number): number {
  return Math.max(MIN_CPU_SHARES, Math.round(CPU_SHARES_PER_CPU * cpus));
}

export function cfsQuotaUs(cpus: number): number {
  return Math.max(MIN_CFS_QUOTA_US, Math.round(CFS_PERIOD_US * cpus));
}

/** v2 cpu.weight (1..10000) from v1 shares, the conversion systemd and runc use. */
export function cpuWeight(cpus: number): number {
  const shares = Math.min(262_144, cpuShares(cpus));
  return Math.max(1, Math.min(10_000, 1 + Math.floor(((shares - 2) * 9999) / 262_142)));
}

export function memLimitBytes(memMb: number): number {
  return Math.max(MIN_MEMORY_MB, memMb) * 1024 * 1024;
}
