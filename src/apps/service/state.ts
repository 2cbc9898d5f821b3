/**
 * AppsState: the single owner of the framework's state (apps, instances, deployments, launch delays,
 * offer summaries, last failures). Every change goes through `serial`, so API calls, offers, status updates
 * and ticks never interleave, and every durable change is written to the repo before memory is updated.
 */
import type { Clock } from '../../core/clock.js';
import type { AppDefinition } from '../model/app.js';
import type { Instance } from '../model/instance.js';
import { affectedApps, type Deployment } from '../deploy/deployment.js';
import type { GroupMeta } from '../deploy/group-plan.js';
import { GroupRepo } from '../state/group-repo.js';
import type { LaunchDelay } from '../reconcile/backoff.js';
import { emptySummary, type OffersSummary } from '../placement/reject-summary.js';
import type { AppsRepo } from '../state/repo.js';
import type { TaskFailure } from './views.js';
import { EventBus } from '../events/bus.js';
import { publishInstanceChange } from '../events/catalog.js';

export class AppsState {
  readonly apps = new Map<string, AppDefinition>();
  readonly instances = new Map<string, Instance>();
  readonly byTask = new Map<string, string>();
  /** Instance ids per app id (an index over `instances`). */
  private readonly byApp = new Map<string, Set<string>>();
  readonly deployments = new Map<string, Deployment>();
  readonly delays = new Map<string, LaunchDelay>();
  readonly summaries = new Map<string, OffersSummary>();
  readonly failures = new Map<string, TaskFailure>();
  /** Explicit group attributes (dependencies, enforceRole); the tree itself is implied by app ids and these. */
  readonly groups = new Map<string, GroupMeta>();
  readonly groupRepo: GroupRepo;
  frameworkId: string | undefined;
  /** `--max_running_deployments`: a change that would start one more is refused (403, AppChanges). */
  maxRunningDeployments = 100;
  /** `--mesos_role`: the role of apps that name none outside enforceRole groups (model/role.ts). */
  mesosRole = '*';
  /** Events for `/v2/events`; publishing never fails. */
  readonly events: EventBus;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly repo: AppsRepo,
    readonly clock: Clock,
  ) {
    this.events = new EventBus(clock);
    this.groupRepo = new GroupRepo(repo.store);
  }

  /** Runs fn after every earlier serial task; a failure rejects only this call. */
  serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  async load(): Promise<void> {
    const s = await this.repo.load();
    for (const a of s.apps) this.apps.set(a.id, a);
    for (const i of s.instances) this.setInstanceInMemory(i);
    for (const d of s.deployments) this.deployments.set(d.id, d);
    this.frameworkId = s.frameworkId;
    for (const g of await this.groupRepo.loadGroups()) this.groups.set(g.id, g);
  }

  instancesOf(appId: string): Instance[] {
    const ids = this.byApp.get(appId);
    if (ids === undefined) return [];
    const out: Instance[] = [];
    for (const id of ids) {
      const i = this.instances.get(id);
      if (i !== undefined) out.push(i);
    }
    return out;
  }

  /** App ids that have instances (deleted apps included until their instances are gone). */
  appIdsWithInstances(): string[] {
    return [...this.byApp.keys()];
  }

  deploymentsOf(appId: string): Deployment[] {
    return [...this.deployments.values()].filter((d) => affectedApps(d).includes(appId));
  }

  summaryOf(appId: string): OffersSummary {
    let s = this.summaries.get(appId);
    if (s === undefined) {
      s = emptySummary();
      this.summaries.set(appId, s);
    }
    return s;
  }

  private setInstanceInMemory(i: Instance): void {
    this.instances.set(i.instanceId, i);
    this.byTask.set(i.taskId, i.instanceId);
    let ids = this.byApp.get(i.appId);
    if (ids === undefined) {
      ids = new Set();
      this.byApp.set(i.appId, ids);
    }
    ids.add(i.instanceId);
  }

  /** Durable, then in memory; instance_changed_event for a new instance, a launch or a goal change. */
  async saveInstance(i: Instance): Promise<void> {
    const before = this.instances.get(i.instanceId);
    await this.repo.putInstance(i);
    this.setInstanceInMemory(i);
    publishInstanceChange(this.events, before, i);
  }

  /** Like saveInstance for several at once: one durable batch (Store.putMany), then each in memory. */
  async saveInstances(list: readonly Instance[]): Promise<void> {
    await this.repo.putInstances(list);
    for (const i of list) {
      const before = this.instances.get(i.instanceId);
      this.setInstanceInMemory(i);
      publishInstanceChange(this.events, before, i);
    }
  }

  async removeInstance(i: Instance): Promise<void> {
    await this.repo.deleteInstance(i.instanceId);
    publishInstanceChange(this.events, this.instances.get(i.instanceId), undefined);
    this.instances.delete(i.instanceId);
    this.byTask.delete(i.taskId);
    const ids = this.byApp.get(i.appId);
    ids?.delete(i.instanceId);
    if (ids?.size === 0) this.byApp.delete(i.appId);
  }

  async saveApp(a: AppDefinition): Promise<void> {
    await this.repo.putApp(a);
    this.apps.set(a.id, a);
  }

  async removeApp(id: string): Promise<void> {
    await this.repo.deleteApp(id);
    this.apps.delete(id);
    this.delays.delete(id);
    this.summaries.delete(id);
  }

  async saveDeployment(d: Deployment): Promise<void> {
    await this.repo.putDeployment(d);
    this.deployments.set(d.id, d);
  }

  async saveGroup(g: GroupMeta): Promise<void> {
    await this.groupRepo.putGroup(g);
    this.groups.set(g.id, g);
  }

  async removeGroup(id: string): Promise<void> {
    await this.groupRepo.deleteGroup(id);
    this.groups.delete(id);
  }

  async removeDeployment(id: string): Promise<void> {
    await this.repo.deleteDeployment(id);
    this.deployments.delete(id);
  }
}
