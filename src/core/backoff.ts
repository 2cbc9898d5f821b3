/** Truncated exponential back-off with jitter from an Rng (pure). */
import type { Rng } from './rng.js';

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

/** Delay before attempt n (0-based): initial·factor^n capped at max, jittered into [50%, 100%]. */
export function backoffDelay(policy: BackoffPolicy, attempt: number, rng: Rng): number {
  const raw = Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.factor, attempt));
  return Math.round(raw * (0.5 + rng.next() * 0.5));
}
