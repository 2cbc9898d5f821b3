/**
 * TaskInfo.health_check / TaskInfo.check turned into what the checkers run: a probe and its timing in
 * milliseconds, with upstream's defaults filled in (spec §6.11) and upstream's validation
 * (common/validation.cpp healthCheck, checks/checker.cpp checkInfo). Pure; no I/O.
 */
import type { CheckInfoJson, CommandInfoJson, HealthCheckJson } from './common.js';

/** What one probe does. Hosts are fixed to the loopback address, as upstream's built-in executors do. */
export type ProbeSpec =
  | { readonly kind: 'command'; readonly command: CommandInfoJson }
  | { readonly kind: 'http'; readonly scheme: 'http' | 'https'; readonly host: string; readonly port: number; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** Timing shared by checks and health checks. timeoutMs 0 means "no timeout" (upstream: 0 = infinite). */
export interface CheckTiming {
  readonly delayMs: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/** A CheckInfo ready to run. */
export interface CheckSpec extends CheckTiming {
  readonly type: 'COMMAND' | 'HTTP' | 'TCP';
  readonly probe: ProbeSpec;
}

/** A HealthCheck ready to run. */
export interface HealthSpec extends CheckTiming {
  readonly type: 'COMMAND' | 'HTTP' | 'TCP';
  readonly probe: ProbeSpec;
  readonly consecutiveFailures: number;
  readonly gracePeriodMs: number;
}

/** Upstream defaults (mesos.proto): delay 15 s, interval 10 s, timeout 20 s, 3 failures, grace 10 s. */
export const HEALTH_DEFAULTS = { delaySeconds: 15, intervalSeconds: 10, timeoutSeconds: 20, consecutiveFailures: 3, gracePeriodSeconds: 10 } as const;

const sec = (s: number): number => Math.round(s * 1000);
const loopback = (protocol: string | undefined): string => (protocol === 'IPv6' ? '::1' : '127.0.0.1');

function negative(fields: Record<string, number | undefined>): string | undefined {
  for (const [name, v] of Object.entries(fields)) if (v !== undefined && (v < 0 || !Number.isFinite(v))) return `Expecting '${name}' to be non-negative`;
  return undefined;
}

function commandError(c: CommandInfoJson, what: string): string | undefined {
  if (c.value === undefined || c.value === '') return `${what} must contain ${c.shell === false ? "'executable path'" : "'shell command'"}`;
  return undefined;
}

function portError(port: number): string | undefined {
  return port < 0 || port > 65535 ? `Port ${port} is out of range` : undefined;
}

/** Validates and normalizes a HealthCheck; a string is upstream-style error text. */
export function healthSpec(hc: HealthCheckJson): HealthSpec | string {
  const bad = negative({
    delay_seconds: hc.delay_seconds,
    interval_seconds: hc.interval_seconds,
    timeout_seconds: hc.timeout_seconds,
    grace_period_seconds: hc.grace_period_seconds,
  });
  if (bad !== undefined) return bad;
  const timing = {
    delayMs: sec(hc.delay_seconds ?? HEALTH_DEFAULTS.delaySeconds),
    intervalMs: sec(hc.interval_seconds ?? HEALTH_DEFAULTS.intervalSeconds),
    timeoutMs: sec(hc.timeout_seconds ?? HEALTH_DEFAULTS.timeoutSeconds),
    consecutiveFailures: hc.consecutive_failures ?? HEALTH_DEFAULTS.consecutiveFailures,
    gracePeriodMs: sec(hc.grace_period_seconds ?? HEALTH_DEFAULTS.gracePeriodSeconds),
  };
  switch (hc.type) {
    case 'COMMAND': {
      if (hc.command === undefined) return "Expecting 'command' to be set for COMMAND health check";
      const err = commandError(hc.command, 'Command health check');
      return err ?? { ...timing, type: 'COMMAND', probe: { kind: 'command', command: hc.command } };
    }
    case 'HTTP': {
      const h = hc.http;
      if (h === undefined) return "Expecting 'http' to be set for HTTP health check";
      const scheme = h.scheme ?? 'http';
      if (scheme !== 'http' && scheme !== 'https') return `Unsupported HTTP health check scheme: '${scheme}'`;
      const path = h.path ?? '';
      if (path !== '' && !path.startsWith('/')) return `The path '${path}' of HTTP health check must start with '/'`;
      const perr = portError(h.port);
      return perr ?? { ...timing, type: 'HTTP', probe: { kind: 'http', scheme, host: loopback(h.protocol), port: h.port, path } };
    }
    case 'TCP': {
      if (hc.tcp === undefined) return "Expecting 'tcp' to be set for TCP health check";
      const perr = portError(hc.tcp.port);
      return perr ?? { ...timing, type: 'TCP', probe: { kind: 'tcp', host: loopback(hc.tcp.protocol), port: hc.tcp.port } };
    }
    case undefined:
      return "HealthCheck must specify 'type'";
    default:
      return `'${hc.type}' is not a valid health check type`;
  }
}

/** Validates and normalizes a CheckInfo; a string is upstream-style error text. */
export function checkSpec(ci: CheckInfoJson): CheckSpec | string {
  const bad = negative({ delay_seconds: ci.delay_seconds, interval_seconds: ci.interval_seconds, timeout_seconds: ci.timeout_seconds });
  if (bad !== undefined) return bad;
  const timing = {
    delayMs: sec(ci.delay_seconds ?? HEALTH_DEFAULTS.delaySeconds),
    intervalMs: sec(ci.interval_seconds ?? HEALTH_DEFAULTS.intervalSeconds),
    timeoutMs: sec(ci.timeout_seconds ?? HEALTH_DEFAULTS.timeoutSeconds),
  };
  switch (ci.type) {
    case 'COMMAND': {
      if (ci.command === undefined) return "Expecting 'command' to be set for COMMAND check";
      const err = commandError(ci.command.command, 'Command check');
      return err ?? { ...timing, type: 'COMMAND', probe: { kind: 'command', command: ci.command.command } };
    }
    case 'HTTP': {
      if (ci.http === undefined) return "Expecting 'http' to be set for HTTP check";
      const path = ci.http.path ?? '';
      if (path !== '' && !path.startsWith('/')) return `The path '${path}' of HTTP check must start with '/'`;
      const perr = portError(ci.http.port);
      // CheckInfo.Http has no scheme: upstream always checks plain http.
      return perr ?? { ...timing, type: 'HTTP', probe: { kind: 'http', scheme: 'http', host: '127.0.0.1', port: ci.http.port, path } };
    }
    case 'TCP': {
      if (ci.tcp === undefined) return "Expecting 'tcp' to be set for TCP check";
      const perr = portError(ci.tcp.port);
      return perr ?? { ...timing, type: 'TCP', probe: { kind: 'tcp', host: '127.0.0.1', port: ci.tcp.port } };
    }
    case undefined:
      return "CheckInfo must specify 'type'";
    default:
      return `'${ci.type}' is not a valid check type`;
  }
}
