/**
 * The pure reconciler: (desired app, known instances, now) → commands. It never lets the number of
 * instances with goal running exceed what the plan allows (scheduled instances count), so scaling and
 * replacement never overshoot. Scheduled instances it decommissions are simply dropped by the caller.
 */
import type { AppDefinition } from '../model/app.js';
import { isHealthyRunning, type Instance } from '../model/instance.js';
import { planRestartStep } from '../deploy/restart-planner.js';
import { selectVictims } from './kill-selection.js';
import { isReady } from '../health/readiness.js';

export interface Commands {
  /** New instances to schedule (of the app's current config). */
  readonly launch: number;
  /** Instance ids to decommission (kill, or drop when only scheduled). */
  readonly kill: readonly string[];
  /** Unreachable instances past expungeAfterSeconds: forget them (and kill them should they come back). */
  readonly expunge?: readonly string[];
}

/** Unreachable for at least inactiveAfterSeconds: no longer counted, so a replacement starts (spec §4.8). */
export function isInactive(app: AppDefinition | undefined, i: Instance, now: number): boolean {
  if (i.unreachableSince === undefined || app === undefined || app.unreachableStrategy === 'disabled') return false;
  return now - i.unreachableSince >= app.unreachableStrategy.inactiveAfterSeconds * 1000;
}

function isExpired(app: AppDefinition | undefined, i: Instance, now: number): boolean {
  if (i.unreachableSince === undefined || app === undefined || app.unreachableStrategy === 'disabled') return false;
  return now - i.unreachableSince >= app.unreachableStrategy.expungeAfterSeconds * 1000;
}

/** The config version of an app: instances of another version are replaced. */
export function configVersionOf(app: AppDefinition): string {
  return app.versionInfo?.lastConfigChangeAt ?? app.version;
}

export function reconcileApp(app: AppDefinition | undefined, instances: readonly Instance[], now = 0): Commands {
  const expunge = instances.filter((i) => i.goal === 'running' && isExpired(app, i, now)).map((i) => i.instanceId);
  const active = instances.filter((i) => i.goal === 'running' && !isInactive(app, i, now));
  if (app === undefined) return { launch: 0, kill: active.map((i) => i.instanceId) };
  if (expunge.length > 0) return { ...reconcileActive(app, active), expunge };
  return reconcileActive(app, active);
}

function reconcileActive(app: AppDefinition, active: readonly Instance[]): Commands {
  const cv = configVersionOf(app);
  const old = active.filter((i) => i.configVersion !== cv);
  const fresh = active.filter((i) => i.configVersion === cv);
  const n = app.instances;
  const groupBy = app.constraints.find((c) => c[1] === 'GROUP_BY')?.[0];
  if (old.length === 0) {
    if (fresh.length > n) return { launch: 0, kill: selectVictims(fresh, fresh.length - n, app.killSelection, groupBy).map((i) => i.instanceId) };
    return { launch: n - fresh.length, kill: [] };
  }
  const hc = app.healthChecks.length > 0;
  // Excess new instances (a scale-down during a restart) go first.
  if (fresh.length > n) {
    return { launch: 0, kill: [...old.map((i) => i.instanceId), ...selectVictims(fresh, fresh.length - n, app.killSelection).map((i) => i.instanceId)] };
  }
  const step = planRestartStep({
    instances: n,
    strategy: app.upgradeStrategy,
    old: selectVictims(old, old.length, app.killSelection).map((i) => ({ id: i.instanceId, healthy: isHealthyRunning(i, hc) })),
    // A new instance is progress only once healthy and ready (spec §4.4).
    fresh: fresh.map((i) => ({ id: i.instanceId, healthy: isHealthyRunning(i, hc) && isReady(app, i) })),
  });
  return { launch: step.launch, kill: step.kill };
}
