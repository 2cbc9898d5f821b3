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
import type { JobJson } from '../api/job-schema.js';
import { JobsError, badRequest } from '../api/errors.js';
import { cascadeChild, childrenOf, validateParents, type CascadeMode } from '../api/graph.js';
import { START_CURSOR } from '../schedule/cursor.js';
import { JobsRepo } from '../state/jobs-repo.js';
import type { JobRecord, RunRecord } from '../state/records.js';
import { byOffer, planLaunches } from './task-builder.js';
import { RunIndex } from './run-index.js';
import { Reconciler } from './reconciler.js';
import { jobAfterSuccess, newRun, parentsAfterSuccess } from './outcomes.js';
import { planOccurrences } from './occurrences.js';
import { DueBook, recoverRecord } from './due-book.js';
import { pastStartDeadline, startDeadline } from '../v2/policy.js';
import { applyStatus, type StatusContext } from './apply-status.js';
import type { JobsDriver } from './driver.js';
import type { EngineTx, JobEngineOptions } from './engine-types.js';

export type { EngineTx, JobEngineOptions } from './engine-types.js';

/** The loop re-checks at least this often, so a clock jump never stalls it. */
const MAX_SLEEP_MS = 60_000;

export class JobEngine {
  private readonly repo: JobsRepo;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly jobs = new Map<string, JobRecord>();
  /** Parsed schedules and next due instants in a heap: idle jobs cost nothing per wake. */
  private readonly book = new DueBook();
  private readonly runIndex = new RunIndex();
  private readonly reconciling: Reconciler;
  private readonly held = new Map<string, OfferJson>();
  private readonly reviveLeadMs: number;
  private readonly statusCtx: StatusContext;
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
    this.statusCtx = {
      now: () => this.clock.now(),
      record: (name) => this.jobs.get(name),
      saveRun: (r) => this.saveRun(r),
      saveJob: (r) => this.saveJob(r),
      triggerChildren: (parent, now) => this.triggerChildren(parent, now),
      failureRetryMs: opts.failureRetryMs,
      disableAfterFailures: opts.disableAfterFailures ?? 0,
    };
    this.reconciling = new Reconciler(this.clock, opts.reconcileIntervalMs ?? 5_000, (fn) => void this.serial(fn));
  }

  /** Loads jobs and runs; every LAUNCHING/RUNNING run is reconciled (onSubscribed) before anything launches. */
  async load(): Promise<string | undefined> {
    for (const rec of await this.repo.loadJobs()) {
      const runs = await this.repo.loadRuns(rec.job.name);
      for (const run of runs.sort((a, b) => a.createdAt - b.createdAt)) await this.index(run);
      // A run written just before a crash that lost the job update: its occurrence is taken.
      this.setJob(recoverRecord(rec, runs, this.clock.now()));
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
    return [...this.jobs.values()].map((r) => this.book.served(r));
  }

  getJob(name: string): JobJson {
    return this.book.served(this.need(name));
  }

  jobsByName(): Map<string, JobJson> {
    return new Map([...this.jobs].map(([n, r]) => [n, r.job]));
  }

  /** Create or replace (spec §2.2 (5), (6)); 400 on unknown parents, self-parent or cycle. */
  putJob(job: JobJson): Promise<void> {
    return this.serial(async () => {
      if (job.parents !== undefined) validateParents(job, this.jobsByName());
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
      await this.dropJob(name);
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

  /** A job's record (with its /v2 state), if it exists. */
  record = (name: string): JobRecord | undefined => this.jobs.get(name);

  /** Active runs of a job (QUEUED, LAUNCHING, RUNNING). */
  activeRuns = (name: string): RunRecord[] => this.runIndex.activeOf(name);

  /** Runs `fn` (a /v2 operation) in the serial chain with write access, then wakes the loop (spec §9 #15). */
  transact<T>(fn: (tx: EngineTx) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      const out = await fn({
        now: this.clock.now(),
        saveJob: (rec) => this.saveJob(rec),
        createRun: async (make) => {
          const run = await this.createUnique(make);
          await this.index(run);
          return run;
        },
        stopRun: (run, message) => this.stopRun(run, message),
        deleteJob: (name) => this.dropJob(name),
      });
      await this.tick();
      return out;
    });
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

  private setJob(rec: JobRecord): void {
    this.jobs.set(rec.job.name, rec);
    this.book.set(rec, this.clock.now());
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
    await this.takeOccurrences(now);
    for (const run of this.runIndex.allActive()) {
      const rec = this.jobs.get(run.job);
      if (rec !== undefined && pastStartDeadline(rec, run, now)) {
        await this.saveRun({ ...run, status: 'MISSED', finishedAt: now, message: `missed: not started within ${rec.v2 !== undefined ? 'startingDeadlineSeconds' : 'epsilon'}` });
      }
    }
    if (this.held.size > 0) await this.handleOffers([]);
    await this.updateOfferInterest();
    this.armTimer();
  }

  private armTimer(): void {
    const now = this.clock.now();
    const due = this.book.next();
    // Wake at the revive lead (to ask for offers) and at the occurrence itself.
    let next = Math.min(now + MAX_SLEEP_MS, due);
    if (due - this.reviveLeadMs > now) next = Math.min(next, due - this.reviveLeadMs);
    for (const run of this.runIndex.allActive()) {
      if (run.status !== 'QUEUED') continue;
      // Only future instants: a past one was handled by the tick that armed this timer.
      if (run.retryAt !== undefined && run.retryAt > now) next = Math.min(next, run.retryAt);
      const rec = this.jobs.get(run.job);
      const deadline = rec === undefined ? undefined : startDeadline(rec, run);
      if (deadline !== undefined && deadline + 1 > now) next = Math.min(next, deadline + 1);
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
    return this.book.next() <= now + this.reviveLeadMs;
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
    // Persisted (one Store batch for the round) before any LAUNCH call: a crash after this point is resolved
    // by reconciliation.
    const launching = plan.map(({ run, task, offer }): RunRecord => ({ ...run, status: 'LAUNCHING', taskId: task.task_id.value, agentId: offer.agent_id.value }));
    if (launching.length > 0) await this.repo.writeBatch([], launching, []);
    for (const run of launching) await this.index(run);
    for (const group of byOffer(plan)) {
      const offer = group[0]?.offer;
      if (offer === undefined) continue;
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

  private applyStatus(run: RunRecord, status: TaskStatusJson, fromReconcile: boolean, fromCallback = false): Promise<void> {
    return applyStatus(this.statusCtx, run, status, fromReconcile, fromCallback);
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

  /** Takes this wake's due occurrences as run records (one Store batch for all due jobs) before any launch. */
  private async takeOccurrences(now: number): Promise<void> {
    const due = this.book.takeDue(now);
    try {
      const plans = due.flatMap((name) => {
        const rec = this.jobs.get(name);
        const plan = rec === undefined ? undefined : planOccurrences(rec, this.book.entry(name), this.runIndex.activeOf(name), now);
        return plan === undefined ? [] : [plan];
      });
      for (const plan of plans) for (const run of plan.stop) await this.stopRun(run, 'stopped: replaced by a new occurrence (concurrencyPolicy REPLACE)');
      if (plans.length === 0) return;
      const created = await this.repo.writeBatch(plans.flatMap((p) => p.create), plans.flatMap((p) => p.update), plans.map((p) => p.rec));
      for (const run of [...created, ...plans.flatMap((p) => p.update)]) await this.index(run);
      for (const plan of plans) this.jobs.set(plan.rec.job.name, plan.rec);
    } finally {
      // Every job taken off the heap goes back with its next occurrence (the old one again if the write failed).
      for (const name of due) {
        const rec = this.jobs.get(name);
        if (rec !== undefined) this.book.set(rec, now);
      }
    }
  }

  /** Deletes a job and its runs; launched tasks are killed (queued runs go with the job). */
  private async dropJob(name: string): Promise<void> {
    for (const run of this.runIndex.activeOf(name)) if (run.taskId !== undefined && (run.status === 'LAUNCHING' || run.status === 'RUNNING')) await this.kill(run);
    this.runIndex.dropJob(name);
    await this.repo.deleteJob(name);
    this.jobs.delete(name);
    this.book.delete(name);
  }

  /** Kills a launched run's task (its KILLED update ends the run); a run still waiting ends KILLED at once. */
  private async stopRun(run: RunRecord, message: string): Promise<void> {
    if (run.status === 'QUEUED') await this.saveRun({ ...run, status: 'KILLED', finishedAt: this.clock.now(), message });
    else await this.kill(run);
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
