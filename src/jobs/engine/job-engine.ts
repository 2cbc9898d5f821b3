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
 *   so the task starts at the occurrence), and suppressed otherwise. Occurrences are taken `prepareLeadMs`
 *   ahead and their runs armed on held offers, so at the instant only the LAUNCH call remains (ADR 0045).
 */
import type { OfferJson, TaskStatusJson } from '../../api/mesos/common.js';
import type { Clock, Timer } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { JobJson } from '../api/job-schema.js';
import { JobsError } from '../api/errors.js';
import { cascadeChild, childrenOf, validateParents, type CascadeMode } from '../api/graph.js';
import { START_CURSOR } from '../schedule/cursor.js';
import type { JobRecord, RunRecord } from '../state/records.js';
import { Reconciler } from './reconciler.js';
import { classify, jobAfterSuccess, newRun, runAfterEnd } from './outcomes.js';
import { recoverRecord } from './due-book.js';
import { OfferDesk } from './offer-desk.js';
import { OccurrenceTaker } from './occurrence-taker.js';
import { EngineState } from './engine-state.js';
import { UpdateBatcher } from '../../scheduler/update-batch.js';
import { pastStartDeadline, startDeadline } from '../v2/policy.js';
import { applyStatus, type StatusContext } from './apply-status.js';
import type { JobsDriver } from './driver.js';
import type { EngineTx, JobEngineOptions } from './engine-types.js';

export type { EngineTx, JobEngineOptions } from './engine-types.js';

/** The loop re-checks at least this often, so a clock jump never stalls it. */
const MAX_SLEEP_MS = 60_000;

export class JobEngine {
  private readonly st: EngineState;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly reconciling: Reconciler;
  private readonly desk: OfferDesk;
  private readonly taker: OccurrenceTaker;
  private readonly updates: UpdateBatcher<RunRecord>;
  /** Whether an update of the current batch answered a reconciliation request. */
  private reconciledInBatch = false;
  private readonly reviveLeadMs: number;
  private readonly statusCtx: StatusContext;
  private driver: JobsDriver | undefined;
  private subscribed = false;
  private timer: Timer | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: JobEngineOptions) {
    ({ clock: this.clock, logger: this.log } = opts);
    this.st = new EngineState(opts.store, this.clock);
    this.reviveLeadMs = opts.reviveLeadMs ?? 2_000;
    this.statusCtx = {
      now: () => this.clock.now(),
      record: (name) => this.st.jobs.get(name),
      saveRun: (r) => this.st.saveRun(r),
      saveJob: (r) => this.st.saveJob(r),
      triggerChildren: (parent, now) => this.st.triggerChildren(parent, now),
      failureRetryMs: opts.failureRetryMs,
      disableAfterFailures: opts.disableAfterFailures ?? 0,
    };
    this.reconciling = new Reconciler(this.clock, opts.reconcileIntervalMs ?? 5_000, (fn) => void this.serial(fn));
    // RUNNING transitions of a batch are one Store write; every other state goes through applyStatus in order.
    this.updates = new UpdateBatcher<RunRecord>({
      serial: (drain) => this.serial(drain),
      apply: (status, deferred, flush) => this.batchedStatus(status, deferred, flush),
      save: (runs) => this.st.persistRuns(runs),
      acknowledge: async (status) => void (await this.driver?.acknowledgeUpdate(status)),
      afterAcknowledged: async () => {
        if (this.reconciledInBatch && this.reconciling.size === 0) this.log.info('reconciliation complete');
        this.reconciledInBatch = false;
        await this.tick();
      },
    });
    const prepareLeadMs = Math.min(opts.prepareLeadMs ?? 1_000, this.reviveLeadMs);
    this.taker = new OccurrenceTaker(
      { book: this.st.book, jobs: this.st.jobs, runIndex: this.st.runIndex, repo: this.st.repo, stopRun: (run, m) => this.stopRun(run, m), index: (run) => this.st.index(run) },
      prepareLeadMs,
    );
    this.desk = new OfferDesk({
      clock: this.clock,
      log: this.log,
      role: opts.role ?? '*',
      prepareLeadMs,
      driver: () => this.driver,
      subscribed: () => this.subscribed,
      reconciling: () => this.reconciling.size,
      reconcile: async (tasks) => {
        for (const t of tasks) this.reconciling.add(t.taskId, t.agentId);
        await this.sendReconcile();
      },
      launchable: (at) => this.st.runIndex.launchable(at, (name) => this.st.jobs.get(name)?.job),
      jobOf: (name) => this.st.jobs.get(name)?.job,
      busy: (name) => this.st.runIndex.busy(name),
      persist: (runs) => this.st.persistRuns(runs),
      dueSoon: (now) => this.st.book.next() <= now + this.reviveLeadMs,
      serial: (fn) => void this.serial(fn).catch((e: unknown) => this.log.warn({ err: errorMessage(e) }, 'jobs step failed')),
    });
  }

  /** Loads jobs and runs; every LAUNCHING/RUNNING run is reconciled (onSubscribed) before anything launches. */
  async load(): Promise<string | undefined> {
    for (const rec of await this.st.repo.loadJobs()) {
      const runs = await this.st.repo.loadRuns(rec.job.name);
      for (const run of runs.sort((a, b) => a.createdAt - b.createdAt)) await this.st.index(run);
      // A run written just before a crash that lost the job update: its occurrence is taken.
      this.st.setJob(recoverRecord(rec, runs, this.clock.now()));
    }
    this.armTimer();
    return this.st.repo.frameworkId();
  }

  /** The master connection (the SchedulerClient in production). */
  attach = (driver: JobsDriver): void => void (this.driver = driver);

  /** Each (re-)subscription: persist the framework id, reconcile what we launched, restate offer interest. */
  onSubscribed(frameworkId: string): Promise<void> {
    return this.serial(async () => {
      this.subscribed = true;
      // Armed runs of an earlier stream are LAUNCHING: reconciled below like every other launch.
      this.desk.reset();
      await this.st.repo.saveFrameworkId(frameworkId);
      // The master may have failed over or lost tasks while we were away: confirm every task we think is live.
      for (const run of this.st.runIndex.allActive()) {
        if ((run.status === 'LAUNCHING' || run.status === 'RUNNING') && run.taskId !== undefined) this.reconciling.add(run.taskId, run.agentId);
      }
      await this.sendReconcile();
      await this.tick();
    });
  }

  /** The stream is gone: held offers died with it (armed runs are reconciled on the next subscription). */
  onDisconnected(): void {
    this.subscribed = false;
    this.desk.reset();
  }

  /** A held offer was rescinded by the master; runs armed on it go back to the queue. */
  onRescind = (offerId: string): void => {
    const runs = this.desk.rescind(offerId);
    if (runs.length > 0) void this.serial(() => this.st.requeue(runs)).catch((e: unknown) => this.log.warn({ err: errorMessage(e) }, 'requeue failed'));
  };

  onOffers(offers: readonly OfferJson[]): Promise<void> {
    return this.serial(() => this.desk.round(offers));
  }

  /** Handled in a batch with the updates that arrive while the engine is busy (UpdateBatcher). */
  onUpdate(status: TaskStatusJson): Promise<void> {
    return this.updates.push(status);
  }

  /** One update of a batch: a task now running is deferred into the batch's write; anything else is applied. */
  private async batchedStatus(status: TaskStatusJson, deferred: Map<string, RunRecord>, flush: () => Promise<void>): Promise<void> {
    const taskId = status.task_id.value;
    const wasReconciling = this.reconciling.resolve(taskId);
    this.reconciledInBatch ||= wasReconciling;
    const run = deferred.get(taskId) ?? this.st.runIndex.byTaskId(taskId);
    if (run === undefined) return;
    if (classify(status.state) === 'running') {
      if (run.status !== 'RUNNING') deferred.set(taskId, { ...run, status: 'RUNNING', startedAt: run.startedAt ?? this.clock.now() });
      return;
    }
    await flush();
    await this.applyStatus(this.st.runIndex.byTaskId(taskId) ?? run, status, wasReconciling);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.desk.cancel();
    this.reconciling.cancel();
    await this.chain.catch(() => undefined);
  }

  /** Jobs as served: the schedule rewritten to the next start and remaining count. */
  listJobs(): JobJson[] {
    return [...this.st.jobs.values()].map((r) => this.st.served(r));
  }

  getJob(name: string): JobJson {
    return this.st.served(this.st.need(name));
  }

  jobsByName(): Map<string, JobJson> {
    return this.st.jobsByName();
  }

  /** Scheduled runs taken ahead of their occurrence (ADR 0045), earliest first. */
  takenAhead(name: string): RunRecord[] {
    return this.st.takenAhead(name);
  }

  /** Create or replace (spec §2.2 (5), (6)); 400 on unknown parents, self-parent or cycle. */
  putJob(job: JobJson): Promise<void> {
    return this.serial(async () => {
      if (job.parents !== undefined) validateParents(job, this.jobsByName());
      const old = this.st.jobs.get(job.name);
      const sameSchedule = old !== undefined && old.job.schedule === job.schedule && old.job.scheduleTimeZone === job.scheduleTimeZone;
      const rec: JobRecord = {
        job,
        cursor: sameSchedule && old !== undefined ? old.cursor : START_CURSOR,
        parentsDone: (old?.parentsDone ?? []).filter((p) => job.parents?.includes(p) === true),
      };
      // Tasks armed with the old definition are planned again with the new one.
      await this.st.requeue(this.desk.disarm(job.name));
      await this.st.repo.saveJob(rec);
      this.st.setJob(rec);
      await this.tick();
    });
  }

  /** Delete (spec §2.2 (7)); 409 when children exist unless a cascade mode is given. */
  deleteJob(name: string, cascade: CascadeMode | undefined): Promise<void> {
    return this.serial(async () => {
      const rec = this.st.need(name);
      const children = childrenOf(name, this.jobsByName());
      if (children.length > 0 && cascade === undefined) {
        throw new JobsError(409, `Job '${name}' has dependent jobs (${children.join(', ')}); delete them first or pass ?cascade=reparent or ?cascade=convert`);
      }
      for (const c of children) {
        const child = this.st.need(c);
        const job = cascadeChild(child.job, rec.job, cascade ?? 'reparent');
        const next: JobRecord = { job, cursor: START_CURSOR, parentsDone: child.parentsDone.filter((p) => job.parents?.includes(p) === true) };
        await this.st.repo.saveJob(next);
        this.st.setJob(next);
      }
      await this.dropJob(name);
      await this.tick();
    });
  }

  /** Manual start (spec §2.2 (8)): a run now, never consuming the schedule's count. */
  startManual(name: string, args: string | undefined): Promise<RunRecord> {
    return this.serial(async () => {
      const rec = this.st.need(name);
      const trimmed = (args ?? '').trim();
      const argText = (trimmed !== '' ? trimmed : rec.job.arguments.join(' ')).replaceAll(';', '');
      const now = this.clock.now();
      const run = await this.st.createUnique((id) => newRun(name, `manual-${now}-${id}`, 'manual', now, argText));
      await this.st.index(run);
      await this.tick();
      return run;
    });
  }

  /** Mark success (spec §2.2 (9)): counts as a success and triggers children; false for an unknown job. */
  markSuccess(name: string): Promise<boolean> {
    return this.serial(async () => {
      const rec = this.st.jobs.get(name);
      if (rec === undefined) return false;
      const now = this.clock.now();
      await this.st.saveJob({ ...rec, job: jobAfterSuccess(rec.job, now), parentsDone: [] });
      await this.st.triggerChildren(name, now);
      await this.tick();
      return true;
    });
  }

  /** Kills every launched task of the job (spec §2.2 (15)); queued runs stay queued. */
  killTasks(name: string): Promise<void> {
    return this.serial(async () => {
      this.st.need(name);
      for (const run of this.st.runIndex.activeOf(name)) if (run.taskId !== undefined && (run.status === 'LAUNCHING' || run.status === 'RUNNING')) await this.kill(run);
    });
  }

  /**
   * The v2 async completion callback (`PUT {P}/task/{taskId}`, spec §2.2 (16)): 0 is a success, anything else a
   * failed attempt (retries apply). False when no active run has that task id.
   */
  completeAsync(taskId: string, statusCode: number): Promise<boolean> {
    return this.serial(async () => {
      const run = this.st.runIndex.byTaskId(taskId);
      if (run === undefined) return false;
      const state = statusCode === 0 ? 'TASK_FINISHED' : 'TASK_FAILED';
      await this.applyStatus(run, { task_id: { value: taskId }, state, message: `async completion with statusCode ${statusCode}` }, false, true);
      await this.tick();
      return true;
    });
  }

  /** `DELETE {P}/task/all` (v2, spec §2.1 (17)): every run still waiting for an offer ends KILLED ("purged"). */
  purgeQueued(): Promise<number> {
    return this.serial(async () => {
      const now = this.clock.now();
      const queued = this.st.runIndex.allActive().filter((r) => r.status === 'QUEUED');
      if (queued.length > 0) await this.st.persistRuns(queued.map((r): RunRecord => ({ ...r, status: 'KILLED', finishedAt: now, message: 'purged (DELETE /task/all)' })));
      await this.tick();
      return queued.length;
    });
  }

  /** `idle`, `queued`, `running` or `<n> running` (spec §2.2 (3)). */
  jobState(name: string): string {
    return this.st.runIndex.state(name);
  }

  /** Active runs then recent terminal runs of a job, newest first. */
  runs(name: string): RunRecord[] {
    this.st.need(name);
    return this.st.runIndex.runsOf(name);
  }

  /** A job's record (with its /v2 state), if it exists. */
  record = (name: string): JobRecord | undefined => this.st.jobs.get(name);

  /** Active runs of a job (QUEUED, LAUNCHING, RUNNING). */
  activeRuns = (name: string): RunRecord[] => this.st.runIndex.activeOf(name);

  /** Runs `fn` (a /v2 operation) in the serial chain with write access, then wakes the loop (spec §9 #15). */
  transact<T>(fn: (tx: EngineTx) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      const out = await fn({
        now: this.clock.now(),
        saveJob: async (rec) => {
          await this.st.requeue(this.desk.disarm(rec.job.name));
          await this.st.saveJob(rec);
        },
        createRun: async (make) => {
          const run = await this.st.createUnique(make);
          await this.st.index(run);
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

  /** Takes due occurrences, expires queued runs past their epsilon, restates offer interest, re-arms the timer. */
  private async tick(): Promise<void> {
    if (this.stopped) return;
    const now = this.clock.now();
    await this.taker.take(now);
    for (const run of this.st.runIndex.allActive()) {
      const rec = this.st.jobs.get(run.job);
      if (rec !== undefined && pastStartDeadline(rec, run, now)) {
        await this.st.saveRun({ ...run, status: 'MISSED', finishedAt: now, message: `missed: not started within ${rec.v2 !== undefined ? 'startingDeadlineSeconds' : 'epsilon'}` });
      }
    }
    if (this.desk.heldCount > 0) await this.desk.round([]);
    await this.desk.updateInterest();
    this.armTimer();
  }

  private armTimer(): void {
    const now = this.clock.now();
    const due = this.st.book.next();
    // Wake at the revive lead (to ask for offers), and to take the occurrence (ahead, or at its instant).
    let next = Math.min(now + MAX_SLEEP_MS, this.taker.nextWake(now));
    if (due - this.reviveLeadMs > now) next = Math.min(next, due - this.reviveLeadMs);
    for (const run of this.st.runIndex.allActive()) {
      if (run.status !== 'QUEUED') continue;
      // Only future instants: a past one was handled by the tick that armed this timer.
      if (run.retryAt !== undefined && run.retryAt > now) next = Math.min(next, run.retryAt);
      // A run taken ahead that could not be armed: planned at its instant.
      if (run.dueAt > now) next = Math.min(next, run.dueAt);
      const rec = this.st.jobs.get(run.job);
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

  private applyStatus(run: RunRecord, status: TaskStatusJson, fromReconcile: boolean, fromCallback = false): Promise<void> {
    return applyStatus(this.statusCtx, run, status, fromReconcile, fromCallback);
  }

  /** Deletes a job and its runs; launched tasks are killed (queued runs go with the job). */
  private async dropJob(name: string): Promise<void> {
    for (const run of this.st.runIndex.activeOf(name)) if (run.taskId !== undefined && (run.status === 'LAUNCHING' || run.status === 'RUNNING')) await this.kill(run);
    await this.st.repo.deleteJob(name);
    this.st.forgetJob(name);
    this.taker.forget(name);
  }

  /** Kills a launched run's task (its KILLED update ends the run); a run still waiting ends KILLED at once. */
  private async stopRun(run: RunRecord, message: string): Promise<void> {
    if (run.status === 'QUEUED') await this.st.saveRun({ ...run, status: 'KILLED', finishedAt: this.clock.now(), message });
    else await this.kill(run);
  }

  /** Kills a launched task; an armed run (not sent yet) ends KILLED at once, as if its task had been killed. */
  private async kill(run: RunRecord): Promise<void> {
    if (this.desk.disarm(run.job, run).length > 0) {
      await this.st.saveRun(runAfterEnd(run, 'KILLED', 'TASK_KILLED', this.clock.now(), 'killed before its launch was sent'));
      return;
    }
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
