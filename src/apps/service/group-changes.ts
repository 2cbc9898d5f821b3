/**
 * Root-group changes (spec §4.1, ADR 0044): a GroupUpdate, a group delete, a rollback to a stored root version
 * or the rollback of a cancelled group deployment is applied to a copy of the root group, validated (ids,
 * dependency cycles → 422), turned into ONE stepped deployment plan, checked for conflicts (409 unless force),
 * and then stored — changed apps, group attributes, the plan and a root-group snapshot — before the caller gets
 * the deploymentResult. `dryRun` returns the steps and stores nothing. Runs inside AppsState.serial.
 */
import { newUuid } from '../../core/ids.js';
import { ApiError } from '../api/errors.js';
import { timestamp, type AppDefinition } from '../model/app.js';
import { appsOfSteps, buildGroupPlan } from '../deploy/group-plan.js';
import { planJson, type Deployment, type DeploymentStep } from '../deploy/deployment.js';
import { applyGroupUpdate, checkIds, cloneRoot, groupExists, isUnder, removeSubtree, type GroupBody, type Root } from '../model/group-update.js';
import type { AppChanges } from './app-changes.js';
import { publishHealthCheckChanges } from '../events/catalog.js';
import type { AppsState } from './state.js';

export interface GroupChangeOptions {
  readonly force: boolean;
  readonly dryRun?: boolean;
  /** Group whose change this is (group_change_* events). */
  readonly groupId?: string;
}

export type GroupChangeResult = { readonly steps: readonly DeploymentStep[]; readonly deployment?: Deployment };

export class GroupChanges {
  constructor(
    private readonly state: AppsState,
    private readonly changes: AppChanges,
    private readonly reconcile: (appId: string) => Promise<void>,
    private readonly uuid: () => string = newUuid,
  ) {}

  private root(): Root {
    return cloneRoot(this.state);
  }

  /** POST/PUT `/v2/groups[/{id}]`: `version` → rollback of the subtree, else scaleBy or structural update. */
  update(groupId: string, body: GroupBody, opts: GroupChangeOptions & { create?: boolean }): Promise<GroupChangeResult> {
    return this.guarded(groupId, async () => {
      const target = this.root();
      if (opts.create === true) {
        if (target.apps.has(groupId)) throw new ApiError(409, { message: `An app with the path ${groupId} already exists.` });
        if (groupId !== '/' && groupExists(target, groupId)) throw new ApiError(409, { message: `Group ${groupId} is already created. Use PUT to change this group.` });
      }
      if (body.version !== undefined) {
        const keys = Object.keys(body).filter((k) => k !== 'id' && k !== 'version');
        if (keys.length > 0) throw new ApiError(422, { message: "The 'version' field may only be combined with the 'id' field." });
        const snap = await this.state.groupRepo.snapshot(body.version);
        if (snap === undefined) throw new ApiError(422, { message: `Group ${groupId} with version ${body.version} does not exist` });
        removeSubtree(target, groupId);
        for (const a of snap.apps) if (isUnder(a.id, groupId)) target.apps.set(a.id, a);
        for (const g of snap.groups) if (g.id === groupId || isUnder(g.id, groupId)) target.groups.set(g.id, g);
      } else {
        applyGroupUpdate(target, groupId, body, this.state.mesosRole);
      }
      return this.commit(target, { ...opts, groupId });
    });
  }

  /**
   * Bulk `PUT/PATCH /v2/apps`: every app of the body in one root change and one plan (all or nothing);
   * `onStored` runs for each stored app before the deployment events (api_post_event comes first upstream).
   */
  updateApps(nexts: readonly AppDefinition[], force: boolean, onStored?: (app: AppDefinition) => void): Promise<GroupChangeResult> {
    return this.guarded('/', async () => {
      const target = this.root();
      for (const n of nexts) target.apps.set(n.id, n);
      return this.commit(target, { force, groupId: '/', ...(onStored !== undefined ? { onStored: nexts.map((n) => n.id), notify: onStored } : {}) });
    });
  }

  /** DELETE `/v2/groups[/{id}]`: every app and group under it goes (the root itself stays, emptied). */
  remove(groupId: string, force: boolean): Promise<GroupChangeResult> {
    return this.guarded(groupId, async () => {
      const target = this.root();
      if (!groupExists(target, groupId)) throw new ApiError(404, { message: `Group '${groupId}' does not exist` });
      removeSubtree(target, groupId);
      return this.commit(target, { force, groupId });
    });
  }

  /** `DELETE /v2/deployments/{id}` of a group plan: a forced plan restoring every affected app as it was. */
  rollback(d: Deployment): Promise<GroupChangeResult> {
    return this.guarded('/', async () => {
      const target = this.root();
      for (const [id, before] of Object.entries(d.original ?? {})) {
        if (before === null) target.apps.delete(id);
        else target.apps.set(id, before);
      }
      return this.commit(target, { force: true, groupId: '/' });
    });
  }

  /** `PATCH /v2/groups/{id}` `{enforceRole}` (top-level groups only). */
  setEnforceRole(groupId: string, enforceRole: boolean): Promise<void> {
    return this.state.serial(async () => {
      const root = this.root();
      if (groupId === '/' || !groupExists(root, groupId)) throw new ApiError(404, { message: `Group '${groupId}' does not exist` });
      if (groupId.split('/').filter((s) => s !== '').length !== 1) throw new ApiError(422, { message: 'enforceRole can only be set for top-level groups' });
      const cur = root.groups.get(groupId);
      await this.state.saveGroup({ id: groupId, dependencies: cur?.dependencies ?? [], enforceRole });
    });
  }

  /** Serialised; a failed change is announced as group_change_failed (spec §4.13) before the error goes out. */
  private guarded(groupId: string, fn: () => Promise<GroupChangeResult>): Promise<GroupChangeResult> {
    return this.state.serial(async () => {
      try {
        return await fn();
      } catch (e: unknown) {
        const reason = e instanceof Error ? e.message : String(e);
        this.state.events.publish('group_change_failed', { groupId, version: timestamp(this.state.clock.now()), reason });
        throw e;
      }
    });
  }

  private async commit(target: Root, opts: GroupChangeOptions & { onStored?: readonly string[]; notify?: (app: AppDefinition) => void }): Promise<GroupChangeResult> {
    checkIds(target);
    const before = this.root();
    const steps = buildGroupPlan({ before: before.apps, beforeGroups: before.groups, after: target.apps, afterGroups: target.groups });
    if (opts.dryRun === true) return { steps };
    const affected = appsOfSteps(steps);
    await this.changes.unlockUnserialized(affected, opts.force);
    const now = this.changes.nextVersion();
    const original: Record<string, AppDefinition | null> = {};
    for (const id of affected) original[id] = before.apps.get(id) ?? null;
    // Removed apps first, so their service ports are free for the new ones.
    for (const id of affected) if (!target.apps.has(id)) await this.state.removeApp(id);
    for (const id of affected) {
      const next = target.apps.get(id);
      if (next !== undefined) await this.state.saveApp(this.changes.stamp(before.apps.get(id), next, now, false).app);
    }
    for (const id of before.groups.keys()) if (!target.groups.has(id)) await this.state.removeGroup(id);
    for (const g of target.groups.values()) if (JSON.stringify(before.groups.get(g.id)) !== JSON.stringify(g)) await this.state.saveGroup(g);
    // A leading StartApplication step is a placeholder that succeeds at once: the plan starts past it.
    const skip = steps[0]?.actions.every((a) => a.action === 'StartApplication') === true ? 1 : 0;
    const deployment: Deployment = { id: this.uuid(), version: now, appId: affected[0] ?? opts.groupId ?? '/', steps, affectedApps: affected, currentStep: skip, original };
    await this.state.saveDeployment(deployment);
    await this.state.groupRepo.putSnapshot({ version: now, apps: [...this.state.apps.values()], groups: [...this.state.groups.values()] });
    const ev = this.state.events;
    for (const id of opts.onStored ?? []) {
      const stored = this.state.apps.get(id);
      if (stored !== undefined) opts.notify?.(stored);
    }
    ev.publish('group_change_success', { groupId: opts.groupId ?? '/', version: now });
    const plan = planJson(deployment);
    steps.slice(0, skip + 1).forEach((step, i) => {
      if (i > 0) ev.publish('deployment_step_success', { plan, currentStep: { actions: steps[i - 1]?.actions ?? [] } });
      ev.publish('deployment_info', { plan, currentStep: { actions: step.actions } });
    });
    for (const id of affected) publishHealthCheckChanges(ev, before.apps.get(id), this.state.apps.get(id));
    for (const id of affected) await this.reconcile(id);
    return { steps, deployment };
  }
}
