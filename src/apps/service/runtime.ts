/**
 * The scheduler side of the apps framework: applies the reconciler's commands (schedule instances durably,
 * decommission with KILL), places scheduled instances into offers through the placement pipeline and
 * launches them, follows status updates (replacement with back-off, last failures), retries kills, finishes
 * deployments once their app has converged, and revives offers when work is waiting. Every entry point runs
 * inside AppsState.serial except the `*Unserialized` helpers that are called from inside it.
 */
import type { OfferJson, TaskInfoJson, TaskStatusJson } from '../../api/mesos/common.js';
import { isTerminalState } from '../../api/mesos/common.js';
import { newUuid } from '../../core/ids.js';
import type { Logger } from '../../core/log.js';
import type { Rng } from '../../core/rng.js';
import { errorMessage } from '../../core/errors.js';
import { timestamp, type AppDefinition } from '../model/app.js';
import { instanceIdFor, isHealthyRunning, taskIdFor, type Instance } from '../model/instance.js';
import { configVersionOf, reconcileApp } from '../reconcile/reconciler.js';
import { delayAfterFailure, delayLeft } from '../reconcile/backoff.js';
import { placeInSlot, slotOf } from '../placement/pipeline.js';
import { recordRejected, recordUsed } from '../placement/reject-summary.js';
import type { PlacedFields } from '../placement/types.js';
import { buildTaskInfo } from './task-info.js';
import { isReady } from '../health/readiness.js';
import { applyMesosHealth, mesosCheckOf } from '../health/mesos-checks.js';
import type { Driver } from './driver.js';
import type { AppsState } from './state.js';
import { isHeld } from '../deploy/deployment.js';
import { advanceDeployments } from './deployment-progress.js';
import { UpdateBatcher } from '../../scheduler/update-batch.js';
import { publishHealthChange, publishUnknownTerminated } from '../events/catalog.js';

/** Terminal states that lengthen the launch delay (TASK_KILLED does not, spec §4.7). */
const BACKOFF_STATES = new Set(['TASK_FAILED', 'TASK_FINISHED', 'TASK_ERROR', 'TASK_GONE', 'TASK_DROPPED', 'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN']);
/** States after which the instance is expunged and replaced (terminal, or lost/unreachable with strategy {0,0}). */
const GONE_STATES = new Set(['TASK_LOST', 'TASK_UNREACHABLE']);
/** TASK_LOST reasons that mean "unreachable" rather than "gone" (spec §4.8). */
const UNREACHABLE_REASONS = new Set(['REASON_RECONCILIATION', 'REASON_AGENT_DISCONNECTED', 'REASON_AGENT_REMOVED', 'REASON_SLAVE_DISCONNECTED', 'REASON_SLAVE_REMOVED']);

/** Whether an unreachable instance is kept (and waited for) rather than replaced at once. */
function keepsUnreachable(app: AppDefinition | undefined): boolean {
  if (app === undefined) return false;
  const u = app.unreachableStrategy;
  return u === 'disabled' || u.inactiveAfterSeconds > 0 || u.expungeAfterSeconds > 0;
}

/** Marathon's instance condition name of a Mesos task state (spec §4.8). */
export function conditionOf(state: string): string {
  if (state === 'TASK_LOST' || state === 'TASK_UNREACHABLE') return 'Unreachable';
  if (state === 'TASK_GONE_BY_OPERATOR') return 'Gone';
  const word = state.replace(/^TASK_/, '').toLowerCase();
  return word.charAt(0).toUpperCase() + word.slice(1);
}

export interface RuntimeOptions {
  readonly maxInstancesPerOffer: number;
  readonly declineOfferSeconds: number;
  readonly minReviveMs: number;
  readonly killRetryMs: number;
  /** Launched tasks still not running after this long are explicitly reconciled (lost launches surface). */
  readonly stagingReconcileMs?: number;
}

export class AppsRuntime {
  private needRevive = false;
  private lastRevive = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly state: AppsState,
    private readonly driver: Driver,
    private readonly rng: Rng,
    private readonly log: Logger,
    private readonly opts: RuntimeOptions,
    private readonly uuid: () => string = newUuid,
  ) {}

  /** Applies the reconciler to one app (call inside serial). */
  async reconcileUnserialized(appId: string): Promise<void> {
    // An app whose step of a group plan has not started keeps its current instances as they are.
    if (isHeld(this.state.deployments.values(), appId)) return;
    const app = this.state.apps.get(appId);
    const now0 = this.state.clock.now();
    const cmds = reconcileApp(app, this.state.instancesOf(appId), now0);
    for (const id of cmds.expunge ?? []) {
      const i = this.state.instances.get(id);
      if (i === undefined) continue;
      await this.state.removeInstance(i);
      await this.sendKill(i);
    }
    await this.decommissionManyUnserialized(cmds.kill);
    if (app === undefined || cmds.launch <= 0) return;
    const now = this.state.clock.now();
    const scheduled: Instance[] = [];
    for (let k = 0; k < cmds.launch; k++) {
      const instanceId = instanceIdFor(app.id, this.uuid());
      scheduled.push({
        instanceId, taskId: taskIdFor(instanceId), appId: app.id, appVersion: app.version, configVersion: configVersionOf(app),
        state: 'SCHEDULED', goal: 'running', scheduledAt: now, ports: [],
      });
    }
    // One durable batch (was one Store write, i.e. one fsync, per instance).
    await this.state.saveInstances(scheduled);
    this.needRevive = true;
    // Revive now rather than at the next tick (still at most once per --min_revive_offers_interval): the
    // agents' offers were likely declined with a long filter while nothing waited.
    void this.maybeRevive(now);
  }

  /** Kills (or drops, when only scheduled) one instance; call inside serial. */
  async decommissionUnserialized(instanceId: string): Promise<void> {
    const i = this.state.instances.get(instanceId);
    if (i === undefined) return;
    if (i.state === 'SCHEDULED') {
      await this.state.removeInstance(i);
      return;
    }
    await this.state.saveInstance({ ...i, goal: 'decommissioned', killSentAt: this.state.clock.now() });
    await this.sendKill(i);
  }

  /**
   * decommissionUnserialized for many: the goal changes are stored as one batch, then the kills are sent
   * together (scaling 1,000 instances down took one Store write and one KILL round trip each, in turn).
   */
  private async decommissionManyUnserialized(instanceIds: readonly string[]): Promise<void> {
    const now = this.state.clock.now();
    const killed: Instance[] = [];
    for (const id of instanceIds) {
      const i = this.state.instances.get(id);
      if (i === undefined) continue;
      if (i.state === 'SCHEDULED') await this.state.removeInstance(i);
      else killed.push({ ...i, goal: 'decommissioned', killSentAt: now });
    }
    if (killed.length === 0) return;
    await this.state.saveInstances(killed);
    await Promise.all(killed.map((i) => this.sendKill(i)));
  }

  private async sendKill(i: Instance): Promise<void> {
    const app = this.state.apps.get(i.appId);
    const grace = app?.taskKillGracePeriodSeconds;
    try {
      await this.driver.kill(i.taskId, i.agentId, grace !== undefined ? { grace_period: { nanoseconds: grace * 1e9 } } : undefined);
    } catch (e: unknown) {
      this.log.warn({ taskId: i.taskId, err: errorMessage(e) }, 'kill failed, will retry');
    }
  }

  /** Scheduled instances ready to launch now, oldest first. */
  private ready(now: number): Instance[] {
    return [...this.state.instances.values()]
      .filter((i) => i.state === 'SCHEDULED' && i.goal === 'running')
      .filter((i) => {
        const app = this.state.apps.get(i.appId);
        return app !== undefined && delayLeft(this.state.delays.get(app.id), configVersionOf(app), now) === 0;
      })
      .sort((a, b) => a.scheduledAt - b.scheduledAt);
  }

  private placedFields(appId: string): PlacedFields[] {
    return this.state.instancesOf(appId).filter((i) => i.fields !== undefined && i.goal === 'running').map((i) => i.fields ?? {});
  }

  /**
   * OFFERS: matches ready instances (≤ maxInstancesPerOffer per offer), stores every staged instance of the
   * round in one durable batch, then launches (one ACCEPT per offer, sent together, not awaited) and
   * declines the rest.
   */
  onOffers(offers: readonly OfferJson[]): Promise<void> {
    return this.state.serial(async () => {
      const now = this.state.clock.now();
      const waiting = this.ready(now);
      const decline: string[] = [];
      // Fields of each app's placed instances, computed once per round and extended as instances are staged.
      const placedByApp = new Map<string, PlacedFields[]>();
      const taken = new Set<string>();
      const staged: Instance[] = [];
      const launches: { offerId: string; tasks: TaskInfoJson[]; launched: Instance[] }[] = [];
      for (const offer of offers) {
        const slot = slotOf(offer);
        const tasks: TaskInfoJson[] = [];
        const launched: Instance[] = [];
        const blockedApps = new Set<string>();
        for (const inst of waiting) {
          if (tasks.length >= this.opts.maxInstancesPerOffer) break;
          if (taken.has(inst.instanceId) || blockedApps.has(inst.appId)) continue;
          const app = this.state.apps.get(inst.appId) as AppDefinition;
          let placed = placedByApp.get(app.id);
          if (placed === undefined) {
            placed = this.placedFields(app.id);
            placedByApp.set(app.id, placed);
          }
          const res = placeInSlot({ app, placed }, slot, this.rng);
          if (!res.ok) {
            recordRejected(this.state.summaryOf(app.id), res.reason, now);
            blockedApps.add(app.id);
            continue;
          }
          recordUsed(this.state.summaryOf(app.id), now);
          tasks.push(buildTaskInfo(app, inst.taskId, slot.agentId, slot.hostname, res.resources, res.hostPorts));
          launched.push(inst);
          taken.add(inst.instanceId);
          placed.push(slot.fields);
          staged.push({ ...inst, state: 'TASK_STAGING', agentId: slot.agentId, host: slot.hostname, ports: res.hostPorts, fields: slot.fields, stagedAt: now });
        }
        if (tasks.length === 0) decline.push(offer.id.value);
        else launches.push({ offerId: offer.id.value, tasks, launched });
      }
      // Durable before any ACCEPT leaves (a crash then finds them staging and reconciles them).
      await this.state.saveInstances(staged);
      // With instances still waiting, the rest of these offers must come back at the next allocation, not
      // after the master's default 5 s refuse filter (that turned a 40-instance scale-up into 35 s).
      const stillWaiting = waiting.some((i) => !taken.has(i.instanceId));
      // The ACCEPTs are not awaited here: the master's answer takes as long as its handling of every task,
      // and status updates (already arriving) must not wait behind it. A failed ACCEPT reschedules later.
      for (const l of launches) {
        void this.driver.launch([l.offerId], l.tasks, stillWaiting ? { refuse_seconds: 0 } : undefined).catch((e: unknown) => {
          this.log.warn({ err: errorMessage(e), offer: l.offerId }, 'launch failed; instances rescheduled');
          void this.state.serial(() => this.rescheduleUnserialized(l.launched)).catch((e2: unknown) => this.log.warn({ err: errorMessage(e2) }, 'reschedule failed'));
        });
      }
      if (decline.length > 0) {
        try {
          await this.driver.decline(decline, { refuse_seconds: this.opts.declineOfferSeconds });
        } catch (e: unknown) {
          this.log.warn({ err: errorMessage(e) }, 'decline failed');
        }
      }
    });
  }

  /** Instances whose ACCEPT failed go back to SCHEDULED, unless an update has moved them on meanwhile. */
  private async rescheduleUnserialized(launched: readonly Instance[]): Promise<void> {
    const back: Instance[] = [];
    for (const l of launched) {
      const cur = this.state.instances.get(l.instanceId);
      if (cur !== undefined && cur.state === 'TASK_STAGING') back.push({ ...cur, state: 'SCHEDULED', ports: [] });
    }
    if (back.length > 0) await this.state.saveInstances(back);
  }

  private readonly updates = new UpdateBatcher<Instance>({
    serial: (drain) => this.state.serial(drain),
    apply: (status, deferred, flush) => this.applyUpdate(status, deferred, flush),
    save: (list) => this.state.saveInstances(list),
    // A deployment is done as soon as its app has converged, not at the next tick (up to --tick_interval later).
    afterSaved: async () => {
      if (this.state.deployments.size > 0) await this.advanceDeploymentsUnserialized();
    },
    acknowledge: async (status) => {
      try {
        await this.driver.acknowledgeUpdate(status);
      } catch (e: unknown) {
        this.log.warn({ err: errorMessage(e), taskId: status.task_id.value }, 'acknowledge failed');
      }
    },
  });

  /**
   * UPDATE: tracks the task's state; terminal or lost instances are expunged (and replaced by reconcile).
   * Resolves once the update is durably applied and acknowledged. Updates that arrive while earlier work
   * runs are handled together (src/scheduler/update-batch.ts): plain changes stored as one batch, acknowledged after it.
   */
  onUpdate(status: TaskStatusJson): Promise<void> {
    return this.updates.push(status);
  }

  /** For the scheduler client: queues the update without holding up the event stream (errors are logged). */
  enqueueUpdate(status: TaskStatusJson): void {
    this.onUpdate(status).catch((e: unknown) => this.log.warn({ err: errorMessage(e), taskId: status.task_id.value }, 'status update not applied; the agent will resend it'));
  }

  /**
   * One update of a batch. A plain state change is put in `deferred` (stored by the batch's flush); any
   * other outcome first flushes what is deferred, then changes the state as before.
   */
  private async applyUpdate(status: TaskStatusJson, deferred: Map<string, Instance>, flush: () => Promise<void>): Promise<void> {
    const now = this.state.clock.now();
    const iid = this.state.byTask.get(status.task_id.value);
    const inst = iid === undefined ? undefined : (deferred.get(iid) ?? this.state.instances.get(iid));
    const gone = isTerminalState(status.state) || GONE_STATES.has(status.state);
    if (inst !== undefined) {
      this.state.events.publish('status_update_event', {
        slaveId: status.agent_id?.value ?? inst.agentId ?? '', taskId: inst.taskId, taskStatus: status.state, message: status.message ?? '',
        appId: inst.appId, host: inst.host ?? '', ipAddresses: [], ports: inst.ports, version: inst.appVersion,
      });
      this.state.events.publish('instance_changed_event', {
        instanceId: inst.instanceId, condition: conditionOf(status.state), runSpecId: inst.appId,
        agentId: inst.agentId ?? null, host: inst.host ?? null, runSpecVersion: inst.appVersion,
      });
    }
    const plain = inst !== undefined && !gone;
    if (!plain) await flush();
    if (inst === undefined) {
      // A task this framework no longer wants (e.g. expunged while unreachable): make sure it dies.
      if (!gone) await this.driver.kill(status.task_id.value, status.agent_id?.value).catch(() => undefined);
      else publishUnknownTerminated(this.state.events, status.task_id.value, conditionOf(status.state));
    } else if (
      gone && inst.goal === 'running' && keepsUnreachable(this.state.apps.get(inst.appId)) &&
      (status.state === 'TASK_UNREACHABLE' || UNREACHABLE_REASONS.has(status.reason ?? ''))
    ) {
      if (inst.unreachableSince === undefined) await this.state.saveInstance({ ...inst, state: 'TASK_UNREACHABLE', unreachableSince: now });
      await this.reconcileUnserialized(inst.appId);
    } else if (gone) {
      const app = this.state.apps.get(inst.appId);
      if (status.state !== 'TASK_KILLED' && status.state !== 'TASK_FINISHED') {
        this.state.failures.set(inst.appId, {
          appId: inst.appId, host: inst.host ?? '', message: status.message ?? '', state: status.state, taskId: inst.taskId,
          timestamp: timestamp(now), version: inst.appVersion, ...(inst.agentId !== undefined ? { slaveId: inst.agentId } : {}),
        });
      }
      if (app !== undefined && inst.goal === 'running' && BACKOFF_STATES.has(status.state) && inst.configVersion === configVersionOf(app)) {
        this.state.delays.set(app.id, delayAfterFailure(this.state.delays.get(app.id), app, configVersionOf(app), now));
      }
      await this.state.removeInstance(inst);
      await this.reconcileUnserialized(inst.appId);
    } else {
      const health = this.mesosHealth(inst, status, now);
      if (status.state !== inst.state || health !== inst.health) {
        const { unreachableSince: _back, ...rest } = inst;
        deferred.set(inst.instanceId, {
          ...rest,
          state: status.state,
          ...(status.state === 'TASK_RUNNING' && inst.startedAt === undefined ? { startedAt: now } : {}),
          ...(status.message !== undefined ? { message: status.message } : {}),
          ...(status.agent_id !== undefined ? { agentId: status.agent_id.value } : {}),
          ...(health !== undefined ? { health } : {}),
        });
      }
    }
  }

  /** Periodic work: reconcile every app (and orphans of deleted apps), retry kills, finish deployments, revive. */
  tick(): Promise<void> {
    return this.state.serial(async () => {
      const now = this.state.clock.now();
      const ids = new Set([...this.state.apps.keys(), ...this.state.appIdsWithInstances()]);
      for (const id of ids) await this.reconcileUnserialized(id);
      for (const i of [...this.state.instances.values()]) {
        if (i.goal === 'decommissioned' && i.killSentAt !== undefined && now - i.killSentAt >= this.opts.killRetryMs) {
          await this.state.saveInstance({ ...i, killSentAt: now });
          await this.sendKill(i);
        }
      }
      await this.advanceDeploymentsUnserialized();
      await this.reconcileStale(now);
      if (this.ready(now).length > 0) this.needRevive = true;
      await this.maybeRevive(now);
    });
  }

  private advanceDeploymentsUnserialized(): Promise<void> {
    return advanceDeployments({ state: this.state, converged: (id) => this.converged(id), reconcile: (id) => this.reconcileUnserialized(id) });
  }

  private lastStaleReconcile = Number.NEGATIVE_INFINITY;

  /** Asks the master about tasks stuck in staging: a launch the master never saw comes back TASK_LOST and is replaced. */
  private async reconcileStale(now: number): Promise<void> {
    const after = this.opts.stagingReconcileMs ?? 60_000;
    if (!this.driver.isSubscribed || now - this.lastStaleReconcile < after) return;
    const stale = [...this.state.instances.values()].filter((i) => i.state === 'TASK_STAGING' && i.stagedAt !== undefined && now - i.stagedAt >= after);
    if (stale.length === 0) return;
    this.lastStaleReconcile = now;
    try {
      await this.driver.reconcile(stale.map((i) => ({ taskId: i.taskId, ...(i.agentId !== undefined ? { agentId: i.agentId } : {}) })));
    } catch (e: unknown) {
      this.log.warn({ err: errorMessage(e) }, 'reconcile of staging tasks failed');
    }
  }

  private async maybeRevive(now: number): Promise<void> {
    if (!this.needRevive || !this.driver.isSubscribed || now - this.lastRevive < this.opts.minReviveMs) return;
    this.needRevive = false;
    this.lastRevive = now;
    try {
      await this.driver.revive();
    } catch (e: unknown) {
      this.needRevive = true;
      this.log.warn({ err: errorMessage(e) }, 'revive failed');
    }
  }

  /**
   * The instance's health after an update carrying `healthy` from the app's Mesos-side check (the agent ran
   * it); publishes Marathon's failed_health_check_event / health_status_changed_event like HealthMonitor.
   */
  private mesosHealth(inst: Instance, status: TaskStatusJson, now: number): Instance['health'] {
    const app = this.state.apps.get(inst.appId);
    const check = app === undefined ? undefined : mesosCheckOf(app);
    if (check === undefined || status.healthy === undefined) return inst.health;
    const out = applyMesosHealth(inst.health, status.healthy, status.healthy ? undefined : (status.message ?? 'Mesos health check failed'), check, now);
    const ev = this.state.events;
    if (out.counted) ev.publish('failed_health_check_event', { appId: inst.appId, taskId: inst.instanceId, healthCheck: check });
    if (out.changed) publishHealthChange(ev, inst, status.healthy);
    return out.health;
  }

  /** The app matches its definition: n current-config instances running (and healthy), nothing else alive. */
  converged(appId: string): boolean {
    const app = this.state.apps.get(appId);
    const insts = this.state.instancesOf(appId);
    if (app === undefined) return insts.length === 0;
    const cv = configVersionOf(app);
    // Every protocol counts: HTTP/HTTPS/TCP are probed by HealthMonitor, the Mesos-side ones arrive as `healthy`.
    const hc = app.healthChecks.length > 0;
    const good = insts.filter((i) => i.configVersion === cv && isHealthyRunning(i, hc) && isReady(app, i));
    return good.length === app.instances && insts.length === app.instances;
  }
}
