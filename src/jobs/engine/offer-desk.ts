/**
 * The jobs engine's offer handling: which offers are held, which runs are launched on which offer, and when
 * offers are asked for (revive) or not (suppress). See ADR 0045.
 *
 * Guarantees:
 * - Every run is persisted as LAUNCHING (with its task and agent id) before the LAUNCH call that carries it,
 *   in one Store batch per offer round; nothing is planned while reconciliation is open.
 * - **Armed launches**: a run due within `prepareLeadMs` (an occurrence taken ahead, a retry) is planned on a
 *   held offer and persisted as LAUNCHING ahead of its instant; at the instant a timer sends the LAUNCH call
 *   with no Store write or planning on the way. An armed run is a LAUNCHING run the master has not seen yet:
 *   after a crash, a disconnection or a rescinded offer, reconciliation (or `disarm`) puts it back in the
 *   queue for the same attempt, so it still runs exactly once.
 * - An offer carries tasks for one instant only (an offer is accepted once).
 */
import type { OfferJson } from '../../api/mesos/common.js';
import type { Clock, Timer } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { JobJson } from '../api/job-schema.js';
import type { RunRecord } from '../state/records.js';
import type { JobsDriver } from './driver.js';
import { byOffer, planLaunches, type PlannedLaunch } from './task-builder.js';

/** What the desk needs from the engine (all calls are made inside the engine's serial chain, except `serial`). */
export interface DeskHost {
  readonly clock: Clock;
  readonly log: Logger;
  readonly role: string;
  /** Offers are held and runs armed this long ahead of their instant. */
  readonly prepareLeadMs: number;
  driver(): JobsDriver | undefined;
  subscribed(): boolean;
  reconciling(): number;
  /** Marks the tasks of a failed LAUNCH call for reconciliation and asks the master about them. */
  reconcile(tasks: ReadonlyArray<{ taskId: string; agentId: string }>): Promise<void>;
  /** QUEUED runs that may launch at `at`, in priority order. */
  launchable(at: number): RunRecord[];
  jobOf(name: string): JobJson | undefined;
  /** A task of the job is launching or running. */
  busy(name: string): boolean;
  /** Persists the runs (one Store batch) and indexes them. */
  persist(runs: readonly RunRecord[]): Promise<void>;
  /** A scheduled occurrence falls due within the revive lead. */
  dueSoon(now: number): boolean;
  /** Runs `fn` in the engine's serial chain. */
  serial(fn: () => Promise<void>): void;
}

const runKey = (r: RunRecord): string => `${r.job}/${r.id}`;

export class OfferDesk {
  private readonly held = new Map<string, OfferJson>();
  /** Armed launches: instant → offer id → the tasks that offer carries at that instant. */
  private readonly armed = new Map<number, Map<string, PlannedLaunch[]>>();
  private readonly timers = new Map<number, Timer>();
  private offersWanted: boolean | undefined;

  constructor(private readonly host: DeskHost) {}

  get heldCount(): number {
    return this.held.size;
  }

  /** Armed runs (LAUNCHING, not yet sent to the master). */
  get armedCount(): number {
    let n = 0;
    for (const byOffer of this.armed.values()) for (const g of byOffer.values()) n += g.length;
    return n;
  }

  /** The stream is gone or was replaced: held offers died with it; armed runs are reconciled on re-subscription. */
  reset(): void {
    this.held.clear();
    this.dropArmed();
    this.offersWanted = undefined;
  }

  cancel(): void {
    this.dropArmed();
  }

  /** A held or armed offer was rescinded: returns the armed runs it carried (the caller queues them again). */
  rescind(offerId: string): RunRecord[] {
    this.held.delete(offerId);
    const out: RunRecord[] = [];
    for (const [at, byOffer] of this.armed) {
      const group = byOffer.get(offerId);
      if (group === undefined) continue;
      byOffer.delete(offerId);
      out.push(...group.map((p) => p.run));
      this.dropIfEmpty(at);
    }
    return out;
  }

  /** Takes `job`'s armed runs (or the one run `only`) off their offers; returns them (still LAUNCHING). */
  disarm(job: string, only?: RunRecord): RunRecord[] {
    const out: RunRecord[] = [];
    for (const [at, byOffer] of this.armed) {
      for (const [offerId, group] of byOffer) {
        const keep = group.filter((p) => p.run.job !== job || (only !== undefined && runKey(p.run) !== runKey(only)));
        if (keep.length === group.length) continue;
        out.push(...group.filter((p) => !keep.includes(p)).map((p) => p.run));
        if (keep.length > 0) byOffer.set(offerId, keep);
        else {
          byOffer.delete(offerId);
          // The offer carries nothing now: it is free for other runs again.
          const offer = group[0]?.offer;
          if (offer !== undefined) this.held.set(offerId, offer);
        }
      }
      this.dropIfEmpty(at);
    }
    return out;
  }

  /** The earliest armed instant (Infinity: none). */
  nextArmed(): number {
    return Math.min(Infinity, ...this.armed.keys());
  }

  /**
   * One offer round over the new offers plus the held ones: runs due now are launched, runs due within the
   * prepare lead are armed on the offers left, and the rest are held while something is due soon, else
   * declined.
   */
  async round(fresh: readonly OfferJson[]): Promise<void> {
    const driver = this.host.driver();
    if (driver === undefined) return;
    const { host } = this;
    const offers = [...this.held.values(), ...fresh];
    this.held.clear();
    const now = host.clock.now();
    const open = host.reconciling() === 0;
    const started = new Set<string>();
    const busy = (n: string): boolean => started.has(n) || host.busy(n);
    let free = offers;
    const plan = (runs: readonly RunRecord[]): PlannedLaunch[] => {
      const p = planLaunches(runs, free, (n) => host.jobOf(n), busy, host.role);
      const used = new Set(p.map((x) => x.offer.id.value));
      free = free.filter((o) => !used.has(o.id.value));
      for (const x of p) started.add(x.run.job);
      return p;
    };
    const launchNow = open ? plan(host.launchable(now)) : [];
    const toArm = open ? this.armPlans(now, plan) : [];
    const all = [...launchNow, ...toArm.flatMap((a) => a.plan)];
    // Persisted (one Store batch for the round) before any LAUNCH call: a crash after this point is resolved
    // by reconciliation.
    if (all.length > 0) await host.persist(all.map(({ run, task, offer }): RunRecord => ({ ...run, status: 'LAUNCHING', taskId: task.task_id.value, agentId: offer.agent_id.value })));
    for (const { at, plan: p } of toArm) this.arm(at, p);
    for (const group of byOffer(launchNow)) await this.launchGroup(driver, group, (tasks) => host.reconcile(tasks));
    // Held for runs due within the lead only: runs due now that fit no offer must not keep offers from others.
    const later = host.launchable(now + host.prepareLeadMs).some((r) => r.dueAt > now);
    if (open && (host.dueSoon(now) || later || this.armed.size > 0)) for (const o of free) this.held.set(o.id.value, o);
    else if (free.length > 0) await driver.decline(free.map((o) => o.id.value), { refuse_seconds: 1 }).catch((e: unknown) => host.log.warn({ err: errorMessage(e) }, 'decline failed'));
    await this.updateInterest();
  }

  /** Plans the runs due within the prepare lead, one instant at a time (an offer serves one instant). */
  private armPlans(now: number, plan: (runs: readonly RunRecord[]) => PlannedLaunch[]): Array<{ at: number; plan: PlannedLaunch[] }> {
    const future = this.host.launchable(now + this.host.prepareLeadMs).filter((r) => r.dueAt > now);
    const byAt = new Map<number, RunRecord[]>();
    for (const r of future) {
      const list = byAt.get(r.dueAt);
      if (list === undefined) byAt.set(r.dueAt, [r]);
      else list.push(r);
    }
    const out: Array<{ at: number; plan: PlannedLaunch[] }> = [];
    for (const at of [...byAt.keys()].sort((a, b) => a - b)) {
      const p = plan(byAt.get(at) ?? []);
      if (p.length > 0) out.push({ at, plan: p });
    }
    return out;
  }

  /** Revive while runs wait, are due within the lead, or are armed; suppress otherwise. */
  async updateInterest(): Promise<void> {
    const { host } = this;
    const driver = host.driver();
    if (driver === undefined || !host.subscribed()) return;
    const now = host.clock.now();
    const want = host.reconciling() === 0 && (host.launchable(now + host.prepareLeadMs).length > 0 || host.dueSoon(now) || this.armed.size > 0);
    if (want === this.offersWanted) return;
    this.offersWanted = want;
    try {
      if (want) await driver.revive();
      else await driver.suppress();
    } catch (e: unknown) {
      this.offersWanted = undefined;
      host.log.warn({ err: errorMessage(e) }, want ? 'revive failed' : 'suppress failed');
    }
  }

  private arm(at: number, plan: readonly PlannedLaunch[]): void {
    let byOfferId = this.armed.get(at);
    if (byOfferId === undefined) this.armed.set(at, (byOfferId = new Map<string, PlannedLaunch[]>()));
    for (const group of byOffer(plan)) {
      const id = group[0]?.offer.id.value;
      if (id !== undefined) byOfferId.set(id, group);
    }
    if (!this.timers.has(at)) this.timers.set(at, this.host.clock.after(Math.max(0, at - this.host.clock.now()), () => this.fire(at)));
  }

  /**
   * The instant has come: every armed offer of `at` is accepted with its tasks. Deliberately outside the serial
   * chain (a busy chain, e.g. a burst of status updates, must not delay a start): the runs are already durable,
   * and only the armed map is touched, synchronously.
   */
  private fire(at: number): void {
    this.timers.delete(at);
    const early = at - this.host.clock.now();
    // Timers may fire a millisecond early (rounding): a task never starts before its instant.
    if (early > 0 && this.armed.has(at)) {
      this.timers.set(at, this.host.clock.after(early, () => this.fire(at)));
      return;
    }
    const byOfferId = this.armed.get(at);
    this.armed.delete(at);
    const driver = this.host.driver();
    if (byOfferId === undefined || driver === undefined) return;
    for (const group of byOfferId.values()) void this.launchGroup(driver, group, (tasks) => this.host.serial(() => this.host.reconcile(tasks)));
  }

  /** One ACCEPT for the offer with all its tasks; on failure the tasks go to `onFail` (reconciliation). */
  private async launchGroup(driver: JobsDriver, group: readonly PlannedLaunch[], onFail: (tasks: Array<{ taskId: string; agentId: string }>) => Promise<void> | void): Promise<void> {
    const offer = group[0]?.offer;
    if (offer === undefined) return;
    try {
      await driver.launch([offer.id.value], group.map((p) => p.task));
      this.host.log.info({ tasks: group.length, offer: offer.id.value }, 'launched job tasks');
    } catch (e: unknown) {
      this.host.log.warn({ err: errorMessage(e) }, 'launch call failed; reconciling its tasks');
      await onFail(group.map((p) => ({ taskId: p.task.task_id.value, agentId: offer.agent_id.value })));
    }
  }

  private dropIfEmpty(at: number): void {
    if ((this.armed.get(at)?.size ?? 0) > 0) return;
    this.armed.delete(at);
    this.timers.get(at)?.cancel();
    this.timers.delete(at);
  }

  private dropArmed(): void {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.armed.clear();
  }
}
