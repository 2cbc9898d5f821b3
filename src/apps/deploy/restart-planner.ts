/**
 * One step of a rolling restart (spec §4.4), evaluated afresh from the current instances each time, so it
 * needs no memory of its own: kill old instances only while the healthy count stays ≥ minHealthy, and
 * launch new ones only within maxCapacity. Pure.
 */
import type { UpgradeStrategy } from '../model/app.js';

export interface RestartView {
  readonly id: string;
  /** Running and healthy (or the app has no health checks). */
  readonly healthy: boolean;
}

export interface RestartInput {
  readonly instances: number;
  readonly strategy: UpgradeStrategy;
  /** Old-config instances whose goal is still running. */
  readonly old: readonly RestartView[];
  /** New-config instances whose goal is running (scheduled ones included). */
  readonly fresh: readonly RestartView[];
}

export interface RestartStep {
  readonly kill: readonly string[];
  readonly launch: number;
}

/** Capacity bounds of a restart: minHealthy = ⌈n·mhc⌉, maxCapacity = ⌊n·(1+moc)⌋ (+1 when they meet). */
export function capacityBounds(n: number, s: UpgradeStrategy, healthy: number): { minHealthy: number; maxCapacity: number } {
  const minHealthy = Math.ceil(n * s.minimumHealthCapacity - 1e-9);
  let maxCapacity = Math.floor(n * (1 + s.maximumOverCapacity) + 1e-9);
  if (minHealthy === maxCapacity && maxCapacity <= healthy) maxCapacity += 1;
  return { minHealthy, maxCapacity };
}

export function planRestartStep(input: RestartInput): RestartStep {
  const n = input.instances;
  const healthy = input.old.filter((o) => o.healthy).length + input.fresh.filter((f) => f.healthy).length;
  const { minHealthy, maxCapacity } = capacityBounds(n, input.strategy, healthy);
  // Unhealthy old instances do not count toward minHealthy: they can always go first.
  const kill: string[] = input.old.filter((o) => !o.healthy).map((o) => o.id);
  const healthyOld = input.old.filter((o) => o.healthy);
  // More old instances than wanted (a scale-down in the same change): the surplus goes at once.
  const killable = Math.max(healthy - minHealthy, input.old.length - n - kill.length);
  for (const o of healthyOld.slice(0, Math.max(0, killable))) kill.push(o.id);
  const oldLeft = input.old.length - kill.length;
  const launch = Math.max(0, Math.min(n - input.fresh.length, maxCapacity - oldLeft - input.fresh.length));
  return { kill, launch };
}
