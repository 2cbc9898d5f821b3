/** JSON views of instances, apps with their counts, and queue items (spec §3.1 AppInfo, §3.5, §3.9). Pure. */
import type { AppDefinition } from '../model/app.js';
import { appJson, timestamp } from '../model/app.js';
import { isAlive, type Instance } from '../model/instance.js';
import { healthJson } from '../health/tracker.js';
import { summaryEntries, type OffersSummary } from '../placement/reject-summary.js';

export interface TaskFailure {
  readonly appId: string;
  readonly host: string;
  readonly message: string;
  readonly state: string;
  readonly taskId: string;
  readonly timestamp: string;
  readonly version: string;
  readonly slaveId?: string;
}

/** Instances that were launched (scheduled ones are not tasks yet). */
export function isLaunched(i: Instance): boolean {
  return i.state !== 'SCHEDULED';
}

export function taskJson(i: Instance, servicePorts: readonly number[] = []): Record<string, unknown> {
  return {
    id: i.taskId,
    appId: i.appId,
    host: i.host ?? '',
    ...(i.agentId !== undefined ? { slaveId: i.agentId } : {}),
    state: i.state === 'SCHEDULED' ? 'TASK_STAGING' : i.state,
    ports: i.ports,
    servicePorts,
    ipAddresses: [],
    ...(i.stagedAt !== undefined ? { stagedAt: timestamp(i.stagedAt) } : {}),
    ...(i.startedAt !== undefined ? { startedAt: timestamp(i.startedAt) } : {}),
    version: i.appVersion,
    healthCheckResults: healthJson(i.instanceId, i.health, timestamp),
    localVolumes: [],
  };
}

export function counts(instances: readonly Instance[]): Record<string, number> {
  let staged = 0;
  let running = 0;
  let healthy = 0;
  let unhealthy = 0;
  for (const i of instances) {
    if (i.state === 'SCHEDULED' || i.state === 'TASK_STAGING') staged++;
    if (i.state === 'TASK_RUNNING') running++;
    const alive = isAlive(i.health);
    if (alive === true) healthy++;
    else if (alive === false) unhealthy++;
  }
  return { tasksStaged: staged, tasksRunning: running, tasksHealthy: healthy, tasksUnhealthy: unhealthy };
}

export interface AppInfoExtras {
  readonly instances: readonly Instance[];
  readonly deploymentIds: readonly string[];
  readonly withTasks: boolean;
  readonly withFailure?: boolean;
  readonly readinessCheckResults?: readonly unknown[];
  readonly lastTaskFailure?: TaskFailure;
}

export function appInfoJson(app: AppDefinition, x: AppInfoExtras): Record<string, unknown> {
  const out: Record<string, unknown> = { ...appJson(app), ...counts(x.instances), deployments: x.deploymentIds.map((id) => ({ id })) };
  if (x.withTasks) out['tasks'] = x.instances.filter(isLaunched).map((i) => taskJson(i));
  if (x.lastTaskFailure !== undefined && (x.withFailure ?? x.withTasks)) out['lastTaskFailure'] = x.lastTaskFailure;
  if (x.readinessCheckResults !== undefined) out['readinessCheckResults'] = x.readinessCheckResults;
  return out;
}

export function queueItemJson(app: AppDefinition, count: number, since: number, delayLeftMs: number, s: OffersSummary): Record<string, unknown> {
  return {
    count,
    role: app.role,
    delay: { timeLeftSeconds: Math.ceil(delayLeftMs / 1000), overdue: delayLeftMs === 0 },
    since: timestamp(since),
    processedOffersSummary: {
      processedOffersCount: s.processedOffersCount,
      unusedOffersCount: s.unusedOffersCount,
      ...(s.lastUnusedOfferAt !== undefined ? { lastUnusedOfferAt: timestamp(s.lastUnusedOfferAt) } : {}),
      ...(s.lastUsedOfferAt !== undefined ? { lastUsedOfferAt: timestamp(s.lastUsedOfferAt) } : {}),
      rejectSummaryLastOffers: summaryEntries(s),
      rejectSummaryLaunchAttempt: summaryEntries(s),
    },
    app: appJson(app),
  };
}
