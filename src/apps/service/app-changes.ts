/**
 * The change pipeline of app writes (spec §4.1): conflict check against running deployments (409 unless
 * force, which cancels them), versioning (§4.12), service ports (§4.10), then the app and its deployment are
 * stored before the caller gets the deploymentResult. Instances follow from the reconciler afterwards.
 */
import { newUuid } from '../../core/ids.js';
import { ApiError, appExists, appLocked, appNotFound, tooManyDeployments } from '../api/errors.js';
import type { Instance } from '../model/instance.js';
import { isUpgrade, timestamp, type AppDefinition } from '../model/app.js';
import { currentActions, planJson, planSteps, type Deployment } from '../deploy/deployment.js';
import { configVersionOf } from '../reconcile/reconciler.js';
import { assignServicePorts, type PortRange } from './service-ports.js';
import { publishHealthCheckChanges } from '../events/catalog.js';
import type { AppsState } from './state.js';

export interface ChangeResult {
  readonly app: AppDefinition | undefined;
  readonly deployment: Deployment;
  readonly created: boolean;
}

export class AppChanges {
  private lastVersionMs = 0;

  constructor(
    private readonly state: AppsState,
    private readonly servicePorts: PortRange,
    /** Reconciles one app after a change (inside serial); group changes use it too. */
    readonly afterChange: (appId: string) => Promise<void>,
    private readonly kill: (instanceId: string) => Promise<void> = async () => undefined,
    readonly uuid: () => string = newUuid,
  ) {}

  private unlock(appId: string, force: boolean): Promise<void> {
    return this.unlockUnserialized([appId], force);
  }

  /**
   * 409 when a running deployment touches any of the apps (spec §4.2.2); with force those deployments are
   * cancelled where they stand (deployment_step_failure + deployment_failed). 403 when the new deployment the
   * caller starts next would exceed `--max_running_deployments`. Call inside serial, before any write.
   */
  async unlockUnserialized(appIds: readonly string[], force: boolean): Promise<void> {
    const running = [...new Set(appIds.flatMap((id) => this.state.deploymentsOf(id)))];
    if (running.length > 0 && !force) throw appLocked(running.map((d) => d.id));
    // Every caller starts one deployment next; the ones a forced change cancels make room for it.
    const max = this.state.maxRunningDeployments;
    if (this.state.deployments.size - running.length >= max) throw tooManyDeployments(max);
    for (const d of running) {
      await this.state.removeDeployment(d.id);
      const plan = planJson(d);
      this.state.events.publish('deployment_step_failure', { plan, currentStep: { actions: currentActions(d) } });
      this.state.events.publish('deployment_failed', { id: d.id, plan, reason: 'cancelled by a forced change' });
    }
  }

  /** Versions stay above every stored one (call after the state is loaded). */
  seedVersions(): void {
    for (const a of this.state.apps.values()) this.lastVersionMs = Math.max(this.lastVersionMs, Date.parse(a.version) || 0);
  }

  /** Strictly increasing version timestamps: two changes in one millisecond must still differ. */
  nextVersion(): string {
    this.lastVersionMs = Math.max(this.state.clock.now(), this.lastVersionMs + 1);
    return timestamp(this.lastVersionMs);
  }

  private announce(d: Deployment): void {
    this.state.events.publish('group_change_success', { groupId: '/', version: d.version });
    const current = d.steps.at(-1);
    this.state.events.publish('deployment_info', { plan: planJson(d), currentStep: { actions: current?.actions ?? [] } });
  }

  private usedPorts(exceptId: string): Set<number> {
    const used = new Set<number>();
    for (const a of this.state.apps.values()) if (a.id !== exceptId) for (const p of a.portDefinitions) used.add(p.port);
    return used;
  }

  /** The app as stored at version `now`: versionInfo per the kind of change (§4.12) and service ports (§4.10). */
  stamp(prev: AppDefinition | undefined, next: AppDefinition, now: string, restart: boolean): { app: AppDefinition; kind: 'create' | 'scale' | 'restart' } {
    let kind: 'create' | 'scale' | 'restart';
    let versionInfo;
    if (prev === undefined) {
      kind = 'create';
      versionInfo = { lastScalingAt: now, lastConfigChangeAt: now };
    } else if (restart || isUpgrade(prev, next)) {
      kind = 'restart';
      versionInfo = { lastScalingAt: now, lastConfigChangeAt: now };
    } else {
      kind = 'scale';
      versionInfo = { lastScalingAt: now, lastConfigChangeAt: prev.versionInfo?.lastConfigChangeAt ?? prev.version };
    }
    return { app: assignServicePorts({ ...next, version: now, versionInfo }, prev, this.usedPorts(next.id), this.servicePorts), kind };
  }

  /** Creates (POST) or replaces (PUT) an app; `mustNotExist` gives the POST 409. */
  upsert(next: AppDefinition, opts: { force: boolean; mustNotExist: boolean; restart?: boolean; onStored?: (app: AppDefinition) => void }): Promise<ChangeResult> {
    return this.state.serial(async () => {
      const prev = this.state.apps.get(next.id);
      if (prev !== undefined && opts.mustNotExist) throw appExists(next.id);
      await this.unlock(next.id, opts.force);
      const now = this.nextVersion();
      const { app, kind } = this.stamp(prev, next, now, opts.restart === true);
      const deployment: Deployment = { id: this.uuid(), version: now, appId: app.id, steps: planSteps(app.id, kind), ...(prev !== undefined ? { previousVersion: prev.version } : {}) };
      await this.state.saveApp(app);
      await this.state.saveDeployment(deployment);
      // api_post_event comes before the deployment events, as upstream publishes them.
      opts.onStored?.(app);
      this.announce(deployment);
      publishHealthCheckChanges(this.state.events, prev, app);
      await this.afterChange(app.id);
      return { app, deployment, created: prev === undefined };
    });
  }

  /** Removes the app; its instances are killed by the reconciler (DELETE force defaults to true upstream). */
  remove(appId: string, force: boolean): Promise<ChangeResult> {
    return this.state.serial(async () => {
      if (!this.state.apps.has(appId)) throw appNotFound(appId);
      await this.unlock(appId, force);
      const now = this.nextVersion();
      const app = this.state.apps.get(appId);
      // `original` keeps the definition: its stored versions go with the app, and a rollback re-creates it.
      const deployment: Deployment = {
        id: this.uuid(), version: now, appId, steps: planSteps(appId, 'delete'), previousVersion: app?.version ?? '',
        ...(app !== undefined ? { original: { [appId]: app } } : {}),
      };
      await this.state.saveDeployment(deployment);
      await this.state.removeApp(appId);
      this.announce(deployment);
      publishHealthCheckChanges(this.state.events, app, undefined);
      await this.afterChange(appId);
      return { app: undefined, deployment, created: false };
    });
  }

  /**
   * Kills the given instances (`DELETE /v2/apps/{id}/tasks`, `/v2/tasks/delete`). Without scale they are
   * replaced; with scale the app's instances drop by their number in a new (scale) version and deployment.
   */
  killInstances(appId: string, instanceIds: readonly string[], opts: { scale: boolean; force: boolean }): Promise<{ killed: Instance[]; change?: ChangeResult }> {
    return this.state.serial(async () => {
      const app = this.state.apps.get(appId);
      if (app === undefined) throw appNotFound(appId);
      const killed = instanceIds.map((id) => this.state.instances.get(id)).filter((i): i is Instance => i !== undefined && i.goal === 'running');
      if (!opts.scale) {
        for (const i of killed) await this.kill(i.instanceId);
        return { killed };
      }
      await this.unlock(appId, opts.force);
      const now = this.nextVersion();
      const scaled: AppDefinition = {
        ...app,
        instances: Math.max(0, app.instances - killed.length),
        version: now,
        versionInfo: { lastScalingAt: now, lastConfigChangeAt: configVersionOf(app) },
      };
      const deployment: Deployment = { id: this.uuid(), version: now, appId, steps: planSteps(appId, 'scale'), previousVersion: app.version };
      await this.state.saveApp(scaled);
      await this.state.saveDeployment(deployment);
      this.announce(deployment);
      for (const i of killed) await this.kill(i.instanceId);
      await this.afterChange(appId);
      return { killed, change: { app: scaled, deployment, created: false } };
    });
  }

  /**
   * `DELETE /v2/deployments/{id}`: with force the deployment is just dropped; otherwise a forced rollback to the
   * app version before it (or removal of an app it created) is started.
   */
  async cancelDeployment(id: string, force: boolean, previous: (appId: string, version: string) => Promise<AppDefinition | undefined>): Promise<ChangeResult | undefined> {
    const d = this.state.deployments.get(id);
    if (d === undefined) throw new ApiError(404, { message: `DeploymentPlan ${id} does not exist` });
    if (force) {
      await this.state.serial(() => this.state.removeDeployment(id));
      return undefined;
    }
    if (d.previousVersion === undefined) return this.remove(d.appId, true);
    const prev = await previous(d.appId, d.previousVersion);
    if (prev === undefined) throw new ApiError(404, { message: `App '${d.appId}' does not exist in version ${d.previousVersion}` });
    return this.upsert(prev, { force: true, mustNotExist: false });
  }
}
