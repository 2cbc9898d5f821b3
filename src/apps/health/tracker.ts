/**
 * Marathon-level health bookkeeping (spec §4.6), pure: a probe result updates an instance's HealthState;
 * failures inside the grace period (running, never succeeded, now < runningSince + grace) are ignored; a
 * counted failure when the previous consecutiveFailures already reached maxConsecutiveFailures (> 0) means kill.
 */
import type { HealthCheck } from '../model/app.js';
import { isAlive, type HealthState } from '../model/instance.js';

export interface ProbeResult {
  readonly ok: boolean;
  readonly cause?: string;
}

export interface HealthOutcome {
  readonly health: HealthState;
  /** The failure counted (outside the grace period). */
  readonly counted: boolean;
  /** The alive flag flipped. */
  readonly changed: boolean;
  readonly kill: boolean;
}

export function applyProbe(prev: HealthState | undefined, r: ProbeResult, check: HealthCheck, runningSince: number, now: number): HealthOutcome {
  const h: HealthState = prev ?? { consecutiveFailures: 0 };
  const before = isAlive(prev);
  if (r.ok) {
    const health: HealthState = { ...h, consecutiveFailures: 0, lastSuccess: now, firstSuccess: h.firstSuccess ?? now };
    return { health, counted: false, changed: before !== true, kill: false };
  }
  const inGrace = h.firstSuccess === undefined && now < runningSince + check.gracePeriodSeconds * 1000;
  if (inGrace) return { health: h, counted: false, changed: false, kill: false };
  const kill = check.maxConsecutiveFailures > 0 && h.consecutiveFailures >= check.maxConsecutiveFailures;
  const health: HealthState = { ...h, consecutiveFailures: h.consecutiveFailures + 1, lastFailure: now, ...(r.cause !== undefined ? { lastFailureCause: r.cause } : {}) };
  return { health, counted: true, changed: before !== false, kill };
}

/** Health result JSON of a task (spec §3.5 Health). */
export function healthJson(instanceId: string, h: HealthState | undefined, ts: (ms: number) => string): Record<string, unknown>[] {
  if (h === undefined) return [];
  return [
    {
      alive: isAlive(h) === true,
      consecutiveFailures: h.consecutiveFailures,
      instanceId,
      ...(h.firstSuccess !== undefined ? { firstSuccess: ts(h.firstSuccess) } : {}),
      ...(h.lastSuccess !== undefined ? { lastSuccess: ts(h.lastSuccess) } : {}),
      ...(h.lastFailure !== undefined ? { lastFailure: ts(h.lastFailure) } : {}),
      ...(h.lastFailureCause !== undefined ? { lastFailureCause: h.lastFailureCause } : {}),
    },
  ];
}
