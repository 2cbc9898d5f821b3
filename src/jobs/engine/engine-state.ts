/**
 * The jobs engine's state and its persistence-first writes: job records, the schedule book, the run index
 * and the repo. Every change is written to the Store first and only then applied in memory, so nothing the
 * API shows is ever ahead of what is durable. Only the engine (inside its serial chain) calls the writers.
 */
import type { Clock } from '../../core/clock.js';
import type { Store } from '../../coordination/index.js';
import type { JobJson } from '../api/job-schema.js';
import { badRequest } from '../api/errors.js';
import { JobsRepo } from '../state/jobs-repo.js';
import type { JobRecord, RunRecord } from '../state/records.js';
import { DueBook } from './due-book.js';
import { newRun, parentsAfterSuccess } from './outcomes.js';
import { RunIndex } from './run-index.js';

export class EngineState {
  readonly repo: JobsRepo;
  readonly jobs = new Map<string, JobRecord>();
  /** Parsed schedules and next due instants in a heap: idle jobs cost nothing per wake. */
  readonly book = new DueBook();
  readonly runIndex = new RunIndex();
  /** Jobs that have parents: a success looks only at these (not at every job) for children to trigger. */
  private readonly dependents = new Set<string>();
  private seq = 0;

  constructor(
    store: Store,
    private readonly clock: Clock,
  ) {
    this.repo = new JobsRepo(store);
  }

  jobsByName(): Map<string, JobJson> {
    return new Map([...this.jobs].map(([n, r]) => [n, r.job]));
  }

  /** Scheduled runs taken ahead of their occurrence (ADR 0045), earliest first. */
  takenAhead(name: string): RunRecord[] {
    const now = this.clock.now();
    return this.runIndex
      .activeOf(name)
      .filter((r) => r.trigger === 'scheduled' && r.attempt === 0 && (r.occurrence ?? 0) > now)
      .sort((a, b) => a.dueAt - b.dueAt);
  }

  /** An occurrence taken ahead is still the "next start" (with its repetition) until its instant comes. */
  served(rec: JobRecord): JobJson {
    const ahead = this.takenAhead(rec.job.name);
    const first = ahead[0]?.occurrenceIndex;
    if (first === undefined) return this.book.served(rec);
    return this.book.served({ ...rec, cursor: { nextIndex: first, consumed: Math.max(0, rec.cursor.consumed - ahead.length) } });
  }

  need(name: string): JobRecord {
    const rec = this.jobs.get(name);
    if (rec === undefined) throw badRequest(`Job '${name}' not found`);
    return rec;
  }

  setJob(rec: JobRecord): void {
    this.jobs.set(rec.job.name, rec);
    if ((rec.job.parents ?? []).length > 0) this.dependents.add(rec.job.name);
    else this.dependents.delete(rec.job.name);
    this.book.set(rec, this.clock.now());
  }

  /** Forgets a deleted job in memory (its records are already gone from the Store). */
  forgetJob(name: string): void {
    this.runIndex.dropJob(name);
    this.jobs.delete(name);
    this.dependents.delete(name);
    this.book.delete(name);
  }

  async saveJob(rec: JobRecord): Promise<void> {
    await this.repo.saveJob(rec);
    this.setJob(rec);
  }

  /** Updated runs in one Store batch, then the index. */
  async persistRuns(runs: readonly RunRecord[]): Promise<void> {
    await this.repo.writeBatch([], runs, []);
    for (const run of runs) await this.index(run);
  }

  async saveRun(run: RunRecord): Promise<void> {
    await this.repo.saveRun(run);
    await this.index(run);
  }

  /** Updates the in-memory index and deletes the runs it pushed out of the kept history from the Store. */
  async index(run: RunRecord): Promise<void> {
    for (const old of this.runIndex.set(run)) await this.repo.deleteRun(old);
  }

  /** Records `parent`'s success on each child and enqueues the children whose parents have all succeeded. */
  async triggerChildren(parent: string, now: number): Promise<void> {
    const children = [...this.dependents].filter((n) => this.jobs.get(n)?.job.parents?.includes(parent) === true).sort();
    for (const name of children) {
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
  async createUnique(make: (seq: number) => RunRecord): Promise<RunRecord> {
    for (;;) {
      const run = make(this.seq++);
      if (await this.repo.createRun(run)) return run;
    }
  }

  /** Armed runs (never sent to the master) go back to the queue for the same attempt. */
  async requeue(runs: readonly RunRecord[]): Promise<void> {
    for (const run of runs) {
      const queued: RunRecord = { ...run, status: 'QUEUED' };
      delete (queued as { taskId?: string }).taskId;
      delete (queued as { agentId?: string }).agentId;
      await this.saveRun(queued);
    }
  }
}
