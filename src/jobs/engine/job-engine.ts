/**
 * The jobs framework's single state owner. Every change (API writes, timer ticks, offers, status updates)
 * runs through one serial chain, so the in-memory view and the Store never diverge.
 *
 * Guarantees:
 * - Exactly once per occurrence: a scheduled run record keyed by (job, occurrence) is created (CAS 'absent')
 *   before the cursor moves and before any launch; the record with its task id is persisted as LAUNCHING
 *   before the LAUNCH call. After a restart, every LAUNCHING/RUNNING run is reconciled with the master and
 *   nothing is launched until each has an answer; a LAUNCHING run the master never saw is relaunched once.
 * - Counts are consumed only by scheduled occurrences; retries and manual runs never touch the schedule.
 * - A dependent job runs once after all its parents succeeded since its last trigger; that set is persisted.
 * - Offers are revived while a run waits or an occurrence is due within `reviveLeadMs` (offers are then held
 *   so the task starts at the occurrence), and suppressed otherwise.
 */
import type { OfferJson, TaskStatusJson } from '../../api/mesos/common.js';
import type { Clock, Timer } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { Store } from '../../coordination/index.js';
import type { JobJson } from '../api/job-schema.js';
import { JobsError, badRequest } from '../api/errors.js';
import { cascadeChild, childrenOf, validateParents, type CascadeMode } from '../api/graph.js';
import { parseSchedule, type Schedule } from '../schedule/iso8601.js';
import { cursorPast, nextDue, rewrittenSchedule, START_CURSOR } from '../schedule/cursor.js';
import { JobsRepo } from '../state/jobs-repo.js';
import type { JobRecord, RunRecord } from '../state/records.js';
import { byOffer, planLaunches } from './task-builder.js';
import { RunIndex } from './run-index.js';
import { Reconciler } from './reconciler.js';
import { classify, epsilonOf, jobAfterFinalFailure, jobAfterSuccess, newRun, neverRan, parentsAfterSuccess, runAfterEnd, runAfterFailure } from './outcomes.js';
import { expiredByEpsilon, scheduleStep } from './schedule-step.js';
import type { JobsDriver } from './driver.js';

export interface JobEngineOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly role?: string;
  /** Delay before a failed attempt is retried (`--failure_retry`). */
  readonly failureRetryMs: number;
  readonly disableAfterFailures?: number;
  /** How often unanswered reconciliation entries are asked again. */
  readonly reconcileIntervalMs?: number;
  /** Offers are revived (and held) this long before an occurrence falls due. */
  readonly reviveLeadMs?: number;
}

/** The loop re-checks at least this often, so a clock jump never stalls it. */
const MAX_SLEEP_MS = 60_000;

export class JobEngine {
  private readonly repo: JobsRepo;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly jobs = new Map<string, JobRecord>();
  /** Parsed schedules with the next occurrence cached (Infinity: none), so idle jobs cost no zone maths. */
  private readonly schedules = new Map<string, { readonly s: Schedule; readonly next: number }>();
  private readonly runIndex = new RunIndex();
  private readonly reconciling: Reconciler;
  private readonly held = new Map<string, OfferJson>();
  private readonly reviveLeadMs: number;
  private driver: JobsDriver | undefined;
  private subscribed = false;
  private offersWanted: boolean | undefined;
  private timer: Timer | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private seq = 0;
  private stopped = false;

  constructor(private readonly opts: JobEngineOptions) {
    this.repo = new JobsRepo(opts.store);
    ({ clock: this.clock, logger: this.log } = opts);
    this.reviveLeadMs = opts.reviveLeadMs ?? 2_000;
    this.reconciling = new Reconciler(this.clock, opts.reconcileIntervalMs ?? 5_000, (fn) => void this.serial(fn));
  }

  /** Loads jobs and runs; every LAUNCHING/RUNNING run is reconciled (onSubscribed) before anything launches. */
  async load(): Promise<string | undefined> {
    for (const rec of await this.repo.loadJobs()) {
      this.setJob(rec);
      const runs = await this.repo.loadRuns(rec.job.name);
      let cursor = rec.cursor;
      const sched = this.schedules.get(rec.job.name)?.s;
      for (const run of runs.sort((a, b) => a.createdAt - b.createdAt)) {
        await this.index(run);
        // A run written just before a crash that lost the cursor update: its occurrence is taken.
        if (sched !== undefined && run.occurrence !== undefined) cursor = cursorPast(sched, cursor, run.occurrence);
      }
      if (cursor !== rec.cursor) this.setJob({ ...rec, cursor });
    }
    this.armTimer();
    return this.repo.frameworkId();
  }

  /** The master connection (the SchedulerClient in production). */
  attach = (driver: JobsDriver): void => void (this.driver = driver);

  /** Each (re-)subscription: persist the framework id, reconcile what we launched, restate offer interest. */
  onSubscribed(frameworkId: string): Promise<void> {
    return this.serial(async () => {
      this.subscribed = true;
      this.offersWanted = undefined;
      await this.repo.saveFrameworkId(frameworkId);
      // The master may have failed over or lost tasks while we were away: confirm every task we think is live.
      for (const run of this.runIndex.allActive()) {
        if ((run.status === 'LAUNCHING' || run.status === 'RUNNING') && run.taskId !== undefined) this.reconciling.add(run.taskId, run.agentId);
      }
      await this.sendReconcile();
      await this.tick();
    });
  }

  /** The stream is gone: held offers died with it. */
  onDisconnected(): void {
    this.subscribed = false;
    this.held.clear();
  }

  /** A held offer was rescinded by the master. */
  onRescind = (offerId: string): void => void this.held.delete(offerId);

  onOffers(offers: readonly OfferJson[]): Promise<void> {
    return this.serial(() => this.handleOffers(offers));
  }

  onUpdate(status: TaskStatusJson): Promise<void> {
    return this.serial(() => this.handleUpdate(status));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.reconciling.cancel();
    await this.chain.catch(() => undefined);
  }

  /** Jobs as served: the schedule rewritten to the next start and remaining count. */
  listJobs(): JobJson[] {
    return [...this.jobs.values()].map((r) => this.served(r));
  }

  getJob(name: string): JobJson {
    return this.served(this.need(name));
  }

  jobsByName(): Map<string, JobJson> {
    return new Map([...this.jobs].map(([n, r]) => [n, r.job]));
  }

  /** Create or replace (spec §2.2 (5), (6)); 400 on unknown parents, self-parent or cycle. */
  putJob(job: JobJson): Promise<void> {
    return this.serial(async () => {
      validateParents(job, this.jobsByName());
      const old = this.jobs.get(job.name);
      const sameSchedule = old !== undefined && old.job.schedule === job.schedule && old.job.scheduleTimeZone === job.scheduleTimeZone;
      const rec: JobRecord = {
        job,
        cursor: sameSchedule && old !== undefined ? old.cursor : START_CURSOR,
        parentsDone: (old?.parentsDone ?? []).filter((p) => job.parents?.includes(p) === true),
      };
      await this.repo.saveJob(rec);
      this.setJob(rec);
      await this.tick();
    });
  }

  /** Delete (spec §2.2 (7)); 409 when children exist unless a cascade mode is given. */
  deleteJob(name: string, cascade: CascadeMode | undefined): Promise<void> {
    return this.serial(async () => {
      const rec = this.need(name);
      const children = childrenOf(name, this.jobsByName());
      if (children.length > 0 && cascade === undefined) {
        throw new JobsError(409, `Job '${name}' has dependent jobs (${children.join(', ')}); delete them first or pass ?cascade=reparent or ?cascade=convert`);
      }
      for (const c of children) {
        const child = this.need(c);
        const job = cascadeChild(child.job, rec.job, cascade ?? 'reparent');
        const next: JobRecord = { job, cursor: START_CURSOR, parentsDone: child.parentsDone.filter((p) => job.parents?.includes(p) === true) };
        await this.repo.saveJob(next);
        this.setJob(next);
      }
      for (const run of this.runIndex.activeOf(name)) {
        if (run.taskId !== undefined && (run.status === 'LAUNCHING' || run.status === 'RUNNING')) await this.kill(run);
      }
      this.runIndex.dropJob(name);
      await this.repo.deleteJob(name);
      this.jobs.delete(name);
      this.schedules.delete(name);
      await this.tick();
    });
  }

  /** Manual start (spec §2.2 (8)): a run now, never consuming the schedule's count. */
  startManual(name: string, args: string | undefined): Promise<RunRecord> {
    return this.serial(async () => {
      const rec = this.need(name);
      const trimmed = (args ?? '').trim();
      const argText = (trimmed !== '' ? trimmed : rec.job.arguments.join(' ')).replaceAll(';', '');
      const now = this.clock.now();
      const run = await this.createUnique((id) => newRun(name, `manual-${now}-${id}`, 'manual', now, argText));
      await this.index(run);
      await this.tick();
      return run;
    });
  }

  /** Mark success (spec §2.2 (9)): counts as a success and triggers children; false for an unknown job. */
  markSuccess(name: string): Promise<boolean> {
    return this.serial(async () => {
      const rec = this.jobs.get(name);
      if (rec === undefined) return false;
      const now = this.clock.now();
      await this.saveJob({ ...rec, job: jobAfterSuccess(rec.job, now), parentsDone: [] });
      await this.triggerChildren(name, now);
      await this.tick();
      return true;
    });
  }

  /** Kills every launched task of the job (spec §2.2 (15)); queued runs stay queued. */
  killTasks(name: string): Promise<void> {
    return this.serial(async () => {
      this.need(name);
      for (const run of this.runIndex.activeOf(name)) if (run.taskId !== undefined && (run.status === 'LAUNCHING' || run.status === 'RUNNING')) await this.kill(run);
    });
  }

  /**
   * The v2 async completion callback (`PUT {P}/task/{taskId}`, spec §2.2 (16)): 0 is a success, anything else a
   * failed attempt (retries apply). False when no active run has that task id.
   */
  completeAsync(taskId: string, statusCode: number): Promise<boolean> {
    return this.serial(async () => {
      const run = this.runIndex.byTaskId(taskId);
      if (run === undefined) return false;
      const state = statusCode === 0 ? 'TASK_FINISHED' : 'TASK_FAILED';
      await this.applyStatus(run, { task_id: { value: taskId }, state, message: `async completion with statusCode ${statusCode}` }, false, true);
      await this.tick();
      return true;
    });
  }

  /** `idle`, `queued`, `running` or `<n> running` (spec §2.2 (3)). */
  jobState(name: string): string {
    return this.runIndex.state(name);
  }

  /** Active runs then recent terminal runs of a job, newest first. */
  runs(name: string): RunRecord[] {
    this.need(name);
    return this.runIndex.runsOf(name);
  }

  /** True while reconciliation after a (re)start is still open. */
  get reconcilingCount(): number {
    return this.reconciling.size;
  }

  // Internals below are always called inside the serial chain.
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private need(name: string): JobRecord {
    const rec = this.jobs.get(name);
    if (rec === undefined) throw badRequest(`Job '${name}' not found`);
    return rec;
  }

  private served(rec: JobRecord): JobJson {
    const e = this.schedules.get(rec.job.name);
    return e === undefined ? rec.job : { ...rec.job, schedule: rewrittenSchedule(e.s, rec.cursor) };
  }

  private setJob(rec: JobRecord): void {
    this.jobs.set(rec.job.name, rec);
    if (rec.job.schedule === undefined) this.schedules.delete(rec.job.name);
    else {
      const s = parseSchedule(rec.job.schedule, rec.job.scheduleTimeZone ?? '', this.clock.now());
      this.schedules.set(rec.job.name, { s, next: rec.job.disabled ? Infinity : (nextDue(s, rec.cursor) ?? Infinity) });
    }
  }

  private async saveJob(rec: JobRecord): Promise<void> {
    await this.repo.saveJob(rec);
    this.setJob(rec);
  }

  private async saveRun(run: RunRecord): Promise<void> {
    await this.repo.saveRun(run);
    await this.index(run);
  }

  /** Updates the in-memory index and deletes the runs it pushed out of the kept history from the Store. */
  private async index(run: RunRecord): Promise<void> {
    for (const old of this.runIndex.set(run)) await this.repo.deleteRun(old);
  }

  /** Takes due occurrences, expires queued runs past their epsilon, restates offer interest, re-arms the timer. */
  private async tick(): Promise<void> {
    if (this.stopped) return;
    const now = this.clock.now();
    for (const rec of [...this.jobs.values()]) {
      const e = this.schedules.get(rec.job.name);
      if (e === undefined || e.next > now) continue;
      const step = scheduleStep(rec.job, e.s, rec.cursor, now, this.runIndex.activeOf(rec.job.name));
      if (step === undefined) continue;
      for (const run of step.create) if (await this.repo.createRun(run)) await this.index(run);
      if (step.fold !== undefined) await this.saveRun(step.fold);
      await this.saveJob({ ...rec, cursor: step.cursor });
    }
    for (const run of this.runIndex.allActive()) {
      const job = this.jobs.get(run.job)?.job;
      if (job !== undefined && expiredByEpsilon(run, job, now)) await this.saveRun({ ...run, status: 'MISSED', finishedAt: now, message: 'missed: not started within epsilon' });
    }
    if (this.held.size > 0) await this.handleOffers([]);
    await this.updateOfferInterest();
    this.armTimer();
  }

  private armTimer(): void {
    const now = this.clock.now();
    const due = this.nextScheduled();
    // Wake at the revive lead (to ask for offers) and at the occurrence itself.
    let next = Math.min(now + MAX_SLEEP_MS, due);
    if (due - this.reviveLeadMs > now) next = Math.min(next, due - this.reviveLeadMs);
    for (const run of this.runIndex.allActive()) {
      if (run.status !== 'QUEUED') continue;
      // Only future instants: a past one was handled by the tick that armed this timer.
      if (run.retryAt !== undefined && run.retryAt > now) next = Math.min(next, run.retryAt);
      const job = this.jobs.get(run.job)?.job;
      const eps = job === undefined ? undefined : epsilonOf(job);
      if (eps !== undefined && run.occurrence !== undefined && run.occurrence + eps + 1 > now) next = Math.min(next, run.occurrence + eps + 1);
    }
    this.wake(Math.max(0, next - now));
  }

  /** A failed tick (e.g. a Store error) must not stop the loop: it is logged and retried a second later. */
  private wake(ms: number): void {
    this.timer?.cancel();
    if (this.stopped) return;
    this.timer = this.clock.after(ms, () => void this.serial(() => this.tick()).catch((e: unknown) => (this.log.error({ err: errorMessage(e) }, 'jobs tick failed'), this.wake(1_000))));
  }

  private launchable(now: number): RunRecord[] {
    return this.runIndex.launchable(now, (name) => this.jobs.get(name)?.job);
  }

  private async updateOfferInterest(): Promise<void> {
    const driver = this.driver;
    if (driver === undefined || !this.subscribed) return;
    const now = this.clock.now();
    const want = this.reconciling.size === 0 && (this.launchable(now).length > 0 || this.dueSoon(now));
    if (want === this.offersWanted) return;
    this.offersWanted = want;
    try {
      if (want) await driver.revive();
      else await driver.suppress();
    } catch (e: unknown) {
      this.offersWanted = undefined;
      this.log.warn({ err: errorMessage(e) }, want ? 'revive failed' : 'suppress failed');
    }
  }

  /** A scheduled occurrence falls due within the revive lead: offers are wanted (and held) ahead of it. */
  private dueSoon(now: number): boolean {
    return this.nextScheduled() <= now + this.reviveLeadMs;
  }

  private nextScheduled(): number {
    let next = Infinity;
    for (const e of this.schedules.values()) next = Math.min(next, e.next);
    return next;
  }

  /**
   * One offer round over the new offers plus the held ones. Offers left over are held while an occurrence is
   * due within the revive lead (so its task starts at once when it falls due) and declined otherwise.
   */
  private async handleOffers(fresh: readonly OfferJson[]): Promise<void> {
    const driver = this.driver;
    if (driver === undefined) return;
    const offers = [...this.held.values(), ...fresh];
    this.held.clear();
    const plan = this.reconciling.size > 0 ? [] : planLaunches(this.launchable(this.clock.now()), offers, (n) => this.jobs.get(n)?.job, (n) => this.runIndex.busy(n), this.opts.role ?? '*');
    const used = new Set(plan.map((p) => p.offer.id.value));
    for (const group of byOffer(plan)) {
      const offer = group[0]?.offer;
      if (offer === undefined) continue;
      // Persisted before the LAUNCH call: a crash after this point is resolved by reconciliation.
      for (const { run, task } of group) await this.saveRun({ ...run, status: 'LAUNCHING', taskId: task.task_id.value, agentId: offer.agent_id.value });
      try {
        await driver.launch([offer.id.value], group.map((p) => p.task));
        this.log.info({ tasks: group.map((p) => p.task.task_id.value) }, 'launched job tasks');
      } catch (e: unknown) {
        this.log.warn({ err: errorMessage(e) }, 'launch call failed; reconciling its tasks');
        for (const p of group) this.reconciling.add(p.task.task_id.value, offer.agent_id.value);
        await this.sendReconcile();
      }
    }
    const unused = offers.filter((o) => !used.has(o.id.value));
    if (this.reconciling.size === 0 && this.dueSoon(this.clock.now())) for (const o of unused) this.held.set(o.id.value, o);
    else if (unused.length > 0) await driver.decline(unused.map((o) => o.id.value), { refuse_seconds: 1 }).catch((e: unknown) => this.log.warn({ err: errorMessage(e) }, 'decline failed'));
    await this.updateOfferInterest();
  }

  private async handleUpdate(status: TaskStatusJson): Promise<void> {
    const wasReconciling = this.reconciling.resolve(status.task_id.value);
    const run = this.runIndex.byTaskId(status.task_id.value);
    if (run !== undefined) await this.applyStatus(run, status, wasReconciling);
    await this.driver?.acknowledgeUpdate(status);
    if (wasReconciling && this.reconciling.size === 0) this.log.info('reconciliation complete');
    await this.tick();
  }

  private async applyStatus(run: RunRecord, status: TaskStatusJson, fromReconcile: boolean, fromCallback = false): Promise<void> {
    const now = this.clock.now();
    const outcome = classify(status.state);
    const rec = this.jobs.get(run.job);
    if (rec === undefined) return;
    if (run.status === 'LAUNCHING' && neverRan(status, fromReconcile)) {
      // The master never saw this launch (or refused its offer): the occurrence has not run, so launch it again.
      const requeued: RunRecord = { ...run, status: 'QUEUED' };
      delete (requeued as { taskId?: string }).taskId;
      delete (requeued as { agentId?: string }).agentId;
      await this.saveRun(requeued);
      return;
    }
    switch (outcome) {
      case 'running':
        if (run.status !== 'RUNNING') await this.saveRun({ ...run, status: 'RUNNING', startedAt: run.startedAt ?? now });
        return;
      case 'success':
        // v2 `async` jobs report completion through the callback (completeAsync), not the task's exit.
        if (rec.job.async === true && !fromCallback) return;
        await this.saveRun(runAfterEnd(run, 'SUCCESS', status.state, now));
        await this.saveJob({ ...rec, job: jobAfterSuccess(rec.job, now) });
        await this.triggerChildren(run.job, now);
        return;
      case 'killed':
        await this.saveRun(runAfterEnd(run, 'KILLED', status.state, now));
        return;
      case 'failure': {
        const next = runAfterFailure(run, rec.job, status.state, status.message, now, this.opts.failureRetryMs);
        await this.saveRun(next);
        if (next.status === 'FAILED') {
          await this.saveJob({ ...rec, job: jobAfterFinalFailure(rec.job, now, this.opts.disableAfterFailures) });
          if (rec.job.softError) await this.triggerChildren(run.job, now);
        }
        return;
      }
      case 'ignore':
        return;
    }
  }

  /** Records `parent`'s success on each child and enqueues the children whose parents have all succeeded. */
  private async triggerChildren(parent: string, now: number): Promise<void> {
    for (const name of childrenOf(parent, this.jobsByName())) {
      const child = this.jobs.get(name);
      if (child === undefined) continue;
      const { done, trigger } = parentsAfterSuccess(child.job, child.parentsDone, parent);
      if (!trigger || child.job.disabled) {
        await this.saveJob({ ...child, parentsDone: done });
        continue;
      }
      // The run record is written before parentsDone is cleared: a crash in between can only run it again
      // on the next parent success, never lose the trigger.
      await this.index(await this.createUnique((id) => newRun(name, `dep-${now}-${id}`, 'dependent', now, child.job.arguments.join(' ').replaceAll(';', ''))));
      await this.saveJob({ ...child, parentsDone: [] });
    }
  }

  /** Creates a manual or dependent run under the first free id. */
  private async createUnique(make: (seq: number) => RunRecord): Promise<RunRecord> {
    for (;;) {
      const run = make(this.seq++);
      if (await this.repo.createRun(run)) return run;
    }
  }

  private async kill(run: RunRecord): Promise<void> {
    if (run.taskId === undefined) return;
    try {
      await this.driver?.kill(run.taskId, run.agentId);
    } catch (e: unknown) {
      this.log.warn({ taskId: run.taskId, err: errorMessage(e) }, 'kill failed');
    }
  }

  private async sendReconcile(): Promise<void> {
    const driver = this.driver;
    if (driver === undefined) return;
    await this.reconciling.send(this.subscribed && !this.stopped, (tasks) => driver.reconcile(tasks)).catch((e: unknown) => {
      this.log.warn({ err: errorMessage(e) }, 'reconcile call failed');
    });
  }
}
