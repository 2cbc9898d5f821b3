/**
 * Launch back-off per app config (spec §4.7): a failure starts the delay at backoffSeconds or multiplies it by
 * backoffFactor, capped at maxLaunchDelaySeconds; it lapses maxLaunchDelaySeconds after its reference time,
 * and a new config version drops it. Pure functions over a small value.
 */
export interface BackoffParams {
  readonly backoffSeconds: number;
  readonly backoffFactor: number;
  readonly maxLaunchDelaySeconds: number;
}

export interface LaunchDelay {
  readonly configVersion: string;
  readonly delayMs: number;
  readonly referenceAt: number;
}

/** The delay after one more failure of `configVersion` at `now`. */
export function delayAfterFailure(prev: LaunchDelay | undefined, p: BackoffParams, configVersion: string, now: number): LaunchDelay {
  const maxMs = p.maxLaunchDelaySeconds * 1000;
  const live = prev !== undefined && prev.configVersion === configVersion && now <= prev.referenceAt + maxMs ? prev : undefined;
  const delayMs = live === undefined ? Math.min(p.backoffSeconds * 1000, maxMs) : Math.min(live.delayMs * p.backoffFactor, maxMs);
  return { configVersion, delayMs: Math.round(delayMs), referenceAt: now };
}

/** Milliseconds until launches of `configVersion` may resume (0 = not delayed). */
export function delayLeft(d: LaunchDelay | undefined, configVersion: string, now: number): number {
  if (d === undefined || d.configVersion !== configVersion) return 0;
  return Math.max(0, d.referenceAt + d.delayMs - now);
}
