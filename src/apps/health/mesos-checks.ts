/**
 * Health checks that Mesos runs (spec: COMMAND, MESOS_HTTP, MESOS_HTTPS, MESOS_TCP): Marathon hands the
 * first such check of an app to the agent as TaskInfo.health_check, and learns the result from `healthy`
 * on the task's status updates. The agent also kills a task that fails it `consecutive_failures` times, so
 * the framework only records health here and replaces the task when its TASK_KILLED arrives.
 */
import type { HealthCheckJson } from '../../api/mesos/common.js';
import type { AppDefinition, HealthCheck } from '../model/app.js';
import type { HealthState } from '../model/instance.js';
import { applyProbe } from './tracker.js';

const MESOS_SIDE = new Set(['COMMAND', 'MESOS_HTTP', 'MESOS_HTTPS', 'MESOS_TCP']);

/** True for checks the agent runs; the framework's own HealthMonitor runs HTTP, HTTPS and TCP. */
export function isMesosSide(check: HealthCheck): boolean {
  return MESOS_SIDE.has(check.protocol);
}

/** The app's Mesos-side health check (Marathon sends one per task: the first). */
export function mesosCheckOf(app: AppDefinition): HealthCheck | undefined {
  return app.healthChecks.find(isMesosSide);
}

/** TaskInfo.health_check for a task on these host ports; undefined when the app has no Mesos-side check or its port is missing. */
export function mesosHealthCheck(app: AppDefinition, hostPorts: readonly number[]): HealthCheckJson | undefined {
  const c = mesosCheckOf(app);
  if (c === undefined) return undefined;
  const timing = {
    delay_seconds: c.delaySeconds,
    interval_seconds: c.intervalSeconds,
    timeout_seconds: c.timeoutSeconds,
    consecutive_failures: c.maxConsecutiveFailures,
    grace_period_seconds: c.gracePeriodSeconds,
  };
  if (c.protocol === 'COMMAND') return { ...timing, type: 'COMMAND', command: { shell: true, value: c.command?.value ?? 'true' } };
  const port = c.port ?? hostPorts[c.portIndex ?? 0];
  if (port === undefined) return undefined;
  const protocol = c.ipProtocol;
  if (c.protocol === 'MESOS_TCP') return { ...timing, type: 'TCP', tcp: { protocol, port } };
  return { ...timing, type: 'HTTP', http: { protocol, scheme: c.protocol === 'MESOS_HTTPS' ? 'https' : 'http', port, path: c.path ?? '/' } };
}

/**
 * An instance's health after a status update that carries `healthy`. The agent already applied the grace
 * period and decides the kill, so every reported failure counts and none kills here.
 */
export function applyMesosHealth(prev: HealthState | undefined, healthy: boolean, cause: string | undefined, check: HealthCheck, now: number): { health: HealthState; changed: boolean; counted: boolean } {
  const out = applyProbe(prev, { ok: healthy, ...(cause !== undefined ? { cause } : {}) }, { ...check, gracePeriodSeconds: 0, maxConsecutiveFailures: 0 }, now, now);
  return { health: out.health, changed: out.changed, counted: out.counted };
}
