/** The seam between the LB controller and a proxy implementation (HAProxy or the built-in Node proxy). */
import type { LbAppError, LbModel } from './model.js';

/** What one apply did. */
export interface ApplyOutcome {
  /** `none` = already equal; `runtime` = runtime API only; `reload` = new config loaded; `start` = first load; `failed` = live config kept. */
  readonly action: 'none' | 'runtime' | 'reload' | 'start' | 'failed';
  /** Apps left out because the proxy refused them (HAProxy validation), besides the model's own errors. */
  readonly rejected: readonly LbAppError[];
  readonly error?: string;
}

/** Counters and state exposed in `/_lb/status` and `/metrics`. */
export interface DriverStatus {
  readonly kind: 'haproxy' | 'builtin';
  readonly reloads: number;
  readonly runtimeUpdates: number;
  readonly validationFailures: number;
  readonly lastError: string | undefined;
  readonly details: Readonly<Record<string, unknown>>;
}

/** A proxy kept equal to the latest model; apply() calls are serialized by the caller. */
export interface ProxyDriver {
  apply(model: LbModel): Promise<ApplyOutcome>;
  status(): DriverStatus;
  stop(): Promise<void>;
}
