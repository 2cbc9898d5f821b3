/**
 * An instance of an app: one Mesos task (incarnation 1) from the moment it is scheduled until it is terminal.
 * Ids follow upstream (`<safeAppId>.instance-<uuid>._app.1`, spec §3.5.1).
 */
import type { TaskStateName } from '../../api/mesos/common.js';
import { safeId } from './path-id.js';

export type InstanceState = 'SCHEDULED' | TaskStateName;
export type Goal = 'running' | 'decommissioned';

/** Marathon-level health of an instance (spec §3.5 Health). */
export interface HealthState {
  readonly consecutiveFailures: number;
  readonly firstSuccess?: number;
  readonly lastSuccess?: number;
  readonly lastFailure?: number;
  readonly lastFailureCause?: string;
}

export interface Instance {
  readonly instanceId: string;
  readonly taskId: string;
  readonly appId: string;
  /** App version the instance was created for. */
  readonly appVersion: string;
  /** The app's lastConfigChangeAt at creation: instances of an older config are replaced by a restart. */
  readonly configVersion: string;
  readonly state: InstanceState;
  readonly goal: Goal;
  readonly scheduledAt: number;
  readonly agentId?: string;
  readonly host?: string;
  readonly ports: readonly number[];
  /** Constraint field values of the agent it was placed on. */
  readonly fields?: Readonly<Record<string, string>>;
  readonly stagedAt?: number;
  readonly startedAt?: number;
  readonly message?: string;
  readonly health?: HealthState;
  readonly killSentAt?: number;
  /** When the task became unreachable (unreachableStrategy timers run from here). */
  readonly unreachableSince?: number;
  /** Readiness of a new instance during a deployment (only with readiness checks). */
  readonly readiness?: ReadinessResult;
}

export interface ReadinessResult {
  readonly ready: boolean;
  readonly lastResponse?: { readonly status: number; readonly contentType: string; readonly body: string };
}

export function instanceIdFor(appId: string, uuid: string): string {
  return `${safeId(appId)}.instance-${uuid}`;
}

export function taskIdFor(instanceId: string): string {
  return `${instanceId}._app.1`;
}

/** Health alive flag (spec §3.5): a success, and no failure after the last success. */
export function isAlive(h: HealthState | undefined): boolean | undefined {
  if (h === undefined || (h.lastSuccess === undefined && h.lastFailure === undefined)) return undefined;
  if (h.lastSuccess === undefined) return false;
  return h.lastFailure === undefined || h.lastSuccess > h.lastFailure;
}

/** Counts toward capacity in a restart: running, and healthy when the app has health checks. */
export function isHealthyRunning(i: Instance, hasHealthChecks: boolean): boolean {
  if (i.state !== 'TASK_RUNNING' || i.goal !== 'running') return false;
  return !hasHealthChecks || isAlive(i.health) === true;
}
