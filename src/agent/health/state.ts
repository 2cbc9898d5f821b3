/**
 * The pure cores of health checking and checking: what a probe outcome means, and which results are
 * reported. They follow upstream's checks/health_checker.cpp and checks/checker.cpp:
 * - health: a failure while still "initializing" (no success yet) and within the grace period (counted
 *   from the checker's start, so it includes the delay) is ignored; any other failure increments the
 *   consecutive-failure count and is reported (every time, not only on change), with `killTask` once the
 *   count reaches `consecutive_failures`; a success is reported on the first success and on the first
 *   success after failures.
 * - check: every result (an empty status when the probe failed to run or timed out) is compared with the
 *   previous one, and reported only when it changed.
 */
import type { CheckStatusInfoJson } from '../../api/mesos/common.js';
import type { CheckSpec } from '../../api/mesos/health-spec.js';

/** What one probe run produced. `error` = could not perform it (spawn failed, timed out, refused HTTP...). */
export type ProbeOutcome =
  | { readonly kind: 'command'; readonly exitCode: number }
  | { readonly kind: 'command'; readonly signal: string }
  | { readonly kind: 'http'; readonly statusCode: number }
  | { readonly kind: 'tcp'; readonly succeeded: boolean }
  | { readonly kind: 'error'; readonly message: string };

/** Health verdict of an outcome: exit 0, HTTP 200–399 (after redirects), TCP connected. */
export function probeHealthy(o: ProbeOutcome): boolean {
  switch (o.kind) {
    case 'command':
      return 'exitCode' in o && o.exitCode === 0;
    case 'http':
      return o.statusCode >= 200 && o.statusCode < 400;
    case 'tcp':
      return o.succeeded;
    case 'error':
      return false;
  }
}

/** Why an outcome counts as a failure, for logs. */
export function failureMessage(o: ProbeOutcome): string {
  switch (o.kind) {
    case 'command':
      return 'exitCode' in o ? `Command returned exit status ${o.exitCode}` : `Command terminated with signal ${o.signal}`;
    case 'http':
      return `Unexpected HTTP response code: ${o.statusCode}`;
    case 'tcp':
      return o.succeeded ? 'connected' : 'TCP connection failed';
    case 'error':
      return o.message;
  }
}

export interface HealthState {
  readonly startedAtMs: number;
  /** True until the first success. */
  readonly initializing: boolean;
  readonly consecutiveFailures: number;
}

/** A health result the executor acts on: a TASK_RUNNING update with `healthy`, and a kill when `killTask`. */
export interface HealthReport {
  readonly healthy: boolean;
  readonly consecutiveFailures: number;
  readonly killTask: boolean;
}

export function initialHealth(startedAtMs: number): HealthState {
  return { startedAtMs, initializing: true, consecutiveFailures: 0 };
}

/** One health result folded into the state; `report` is what to send (if anything). */
export function healthStep(
  s: HealthState,
  ok: boolean,
  nowMs: number,
  cfg: { readonly consecutiveFailures: number; readonly gracePeriodMs: number },
): { readonly state: HealthState; readonly report?: HealthReport } {
  if (ok) {
    const state = { ...s, initializing: false, consecutiveFailures: 0 };
    if (s.initializing || s.consecutiveFailures > 0) return { state, report: { healthy: true, consecutiveFailures: 0, killTask: false } };
    return { state };
  }
  if (s.initializing && cfg.gracePeriodMs > 0 && nowMs - s.startedAtMs <= cfg.gracePeriodMs) return { state: s };
  const failures = s.consecutiveFailures + 1;
  return {
    state: { ...s, consecutiveFailures: failures },
    report: { healthy: false, consecutiveFailures: failures, killTask: failures >= cfg.consecutiveFailures },
  };
}

/** The status every update of a task with a check carries before a result exists (upstream's empty status). */
export function emptyCheckStatus(type: CheckSpec['type']): CheckStatusInfoJson {
  if (type === 'COMMAND') return { type, command: {} };
  if (type === 'HTTP') return { type, http: {} };
  return { type, tcp: {} };
}

/** The CheckStatusInfo of an outcome: the result, or the empty status when the check could not be performed. */
export function checkStatusOf(type: CheckSpec['type'], o: ProbeOutcome): CheckStatusInfoJson {
  if (type === 'COMMAND' && o.kind === 'command' && 'exitCode' in o) return { type, command: { exit_code: o.exitCode } };
  if (type === 'HTTP' && o.kind === 'http') return { type, http: { status_code: o.statusCode } };
  if (type === 'TCP' && o.kind === 'tcp') return { type, tcp: { succeeded: o.succeeded } };
  return emptyCheckStatus(type);
}

/** True when two check statuses differ (the only time a check update is sent). */
export function checkChanged(a: CheckStatusInfoJson, b: CheckStatusInfoJson): boolean {
  return (
    a.type !== b.type ||
    a.command?.exit_code !== b.command?.exit_code ||
    a.http?.status_code !== b.http?.status_code ||
    a.tcp?.succeeded !== b.tcp?.succeeded ||
    (a.command === undefined) !== (b.command === undefined) ||
    (a.http === undefined) !== (b.http === undefined) ||
    (a.tcp === undefined) !== (b.tcp === undefined)
  );
}
