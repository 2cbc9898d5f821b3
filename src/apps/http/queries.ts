/** Read-side views over AppsState for the HTTP routes (apps with counts, tasks, queue, deployments). */
import { appJson, type AppDefinition } from '../model/app.js';
import { configVersionOf } from '../reconcile/reconciler.js';
import { delayLeft } from '../reconcile/backoff.js';
import { deploymentJson } from '../deploy/deployment.js';
import { appInfoJson, isLaunched, queueItemJson, taskJson } from '../service/views.js';
import type { AppsState } from '../service/state.js';
import { taskStatsJson } from '../service/task-stats.js';

export class AppsQueries {
  constructor(private readonly state: AppsState) {}

  /** AppInfo with `embed` extras: tasks (also by `failures`), lastTaskFailure, readiness, taskStats (spec §2.1.2). */
  appInfo(app: AppDefinition, withTasks: boolean, embeds: readonly string[] = []): Record<string, unknown> {
    const failure = this.state.failures.get(app.id);
    const instances = this.state.instancesOf(app.id);
    const info = appInfoJson(app, {
      instances,
      deploymentIds: this.state.deploymentsOf(app.id).map((d) => d.id),
      withTasks,
      withFailure: withTasks || embeds.includes('lastTaskFailure'),
      ...(embeds.includes('readiness') ? { readinessCheckResults: this.readinessResults(app.id) } : {}),
      ...(failure !== undefined ? { lastTaskFailure: failure } : {}),
    });
    if (embeds.includes('taskStats')) info['tasksStats'] = taskStatsJson(app, instances, this.state.clock.now());
    return info;
  }

  /** `GET /v2/apps` filters: id and cmd are case-insensitive substrings; label supports `key` and `key==value`. */
  listApps(q: { id?: string; cmd?: string; label?: string; withTasks: boolean; embeds?: readonly string[] }): Record<string, unknown>[] {
    return [...this.state.apps.values()]
      .filter((a) => q.id === undefined || a.id.toLowerCase().includes(q.id.toLowerCase()))
      .filter((a) => q.cmd === undefined || (a.cmd ?? '').toLowerCase().includes(q.cmd.toLowerCase()))
      .filter((a) => q.label === undefined || matchesLabels(a.labels, q.label))
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((a) => this.appInfo(a, q.withTasks, q.embeds));
  }

  appTasks(appId: string): Record<string, unknown>[] {
    return this.state.instancesOf(appId).filter(isLaunched).map((i) => taskJson(i));
  }

  allTasks(statuses: readonly string[]): Record<string, unknown>[] {
    const want = statuses.map((s) => s.toLowerCase()).filter((s) => s === 'running' || s === 'staging');
    return [...this.state.instances.values()]
      .filter(isLaunched)
      .filter((i) => want.length === 0 || (want.includes('running') && i.state === 'TASK_RUNNING') || (want.includes('staging') && i.state === 'TASK_STAGING'))
      .map((i) => taskJson(i, this.state.apps.get(i.appId)?.portDefinitions.map((p) => p.port) ?? []));
  }

  deployments(): Record<string, unknown>[] {
    return [...this.state.deployments.values()].map((d) => deploymentJson(d, this.readinessResults(d.appId)));
  }

  /** `readinessCheckResults` of the app's instances that have been checked. */
  readinessResults(appId: string): Record<string, unknown>[] {
    const name = this.state.apps.get(appId)?.readinessChecks[0]?.name ?? 'readinessCheck';
    return this.state.instancesOf(appId).flatMap((i) =>
      i.readiness === undefined ? [] : [{ name, taskId: i.taskId, ready: i.readiness.ready, ...(i.readiness.lastResponse !== undefined ? { lastResponse: i.readiness.lastResponse } : {}) }],
    );
  }

  queue(now: number): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const app of this.state.apps.values()) {
      const waiting = this.state.instancesOf(app.id).filter((i) => i.state === 'SCHEDULED' && i.goal === 'running');
      if (waiting.length === 0) continue;
      const since = Math.min(...waiting.map((i) => i.scheduledAt));
      out.push(queueItemJson(app, waiting.length, since, delayLeft(this.state.delays.get(app.id), configVersionOf(app), now), this.state.summaryOf(app.id)));
    }
    return out;
  }

  plainApp(app: AppDefinition): Record<string, unknown> {
    return appJson(app);
  }
}

function matchesLabels(labels: Readonly<Record<string, string>>, selector: string): boolean {
  return selector.split(',').every((term) => {
    const t = term.trim();
    const ne = t.indexOf('!=');
    if (ne > 0) return t.slice(0, ne).trim() in labels && labels[t.slice(0, ne).trim()] !== t.slice(ne + 2).trim();
    const eq = t.indexOf('==');
    if (eq > 0) return labels[t.slice(0, eq).trim()] === t.slice(eq + 2).trim();
    return t in labels;
  });
}
