/**
 * Takes scheduled occurrences as run records: those due now, and (ADR 0045) those due within the prepare lead,
 * so the Store write of a wave happens before its instant and the launch at the instant needs none.
 *
 * Guarantees:
 * - Every occurrence taken gets its run record in the same Store batch as the job record that moves its
 *   schedule position (one transaction per wake), before anything launches: exactly once (ADR 0020).
 * - An occurrence is taken ahead only when that changes nothing but the timing of the write: the plan "as of"
 *   the occurrence instant creates QUEUED runs only (no fold into a waiting run, nothing missed, nothing
 *   stopped), and /v2 schedules only with concurrencyPolicy ALLOW (FORBID and REPLACE look at the runs active
 *   at the instant itself). Anything else is taken at its instant, as before.
 * - A run taken ahead has the occurrence as due time and creation time, so it is not launchable, and its
 *   starting deadline does not run, before the occurrence.
 */
import type { JobRecord, RunRecord } from '../state/records.js';
import type { JobsRepo } from '../state/jobs-repo.js';
import type { DueBook } from './due-book.js';
import { planOccurrences, type OccurrencePlan } from './occurrences.js';
import type { RunIndex } from './run-index.js';

/** The engine state the taker reads and writes (called inside the engine's serial chain). */
export interface TakerHost {
  readonly book: DueBook;
  readonly jobs: Map<string, JobRecord>;
  readonly runIndex: RunIndex;
  readonly repo: JobsRepo;
  stopRun(run: RunRecord, message: string): Promise<void>;
  index(run: RunRecord): Promise<void>;
}

export class OccurrenceTaker {
  /** Jobs whose next occurrence cannot be taken ahead (see above): job → that instant. */
  private readonly notAhead = new Map<string, number>();

  constructor(
    private readonly host: TakerHost,
    private readonly prepareLeadMs: number,
  ) {}

  /** Takes the occurrences due at `now` and those that can be taken ahead; one Store batch for all of them. */
  async take(now: number): Promise<void> {
    const { book, jobs, runIndex } = this.host;
    const taken = book.takeUntil(now + this.prepareLeadMs);
    try {
      const plans: OccurrencePlan[] = [];
      for (const { name, at } of taken) {
        const rec = jobs.get(name);
        if (rec === undefined) continue;
        const ahead = at > now;
        if (ahead && this.notAhead.get(name) === at) continue;
        const plan = planOccurrences(rec, book.entry(name), runIndex.activeOf(name), ahead ? at : now);
        if (plan === undefined) continue;
        if (ahead && !aheadOk(rec, plan)) {
          this.notAhead.set(name, at);
          continue;
        }
        this.notAhead.delete(name);
        plans.push(plan);
      }
      for (const plan of plans) for (const run of plan.stop) await this.host.stopRun(run, 'stopped: replaced by a new occurrence (concurrencyPolicy REPLACE)');
      if (plans.length === 0) return;
      const created = await this.host.repo.writeBatch(plans.flatMap((p) => p.create), plans.flatMap((p) => p.update), plans.map((p) => p.rec));
      for (const run of [...created, ...plans.flatMap((p) => p.update)]) await this.host.index(run);
      for (const plan of plans) jobs.set(plan.rec.job.name, plan.rec);
    } finally {
      // Every job taken off the heap goes back with its next occurrence (the same one again if it was not
      // taken: not due yet, not takeable ahead, or the write failed).
      for (const { name } of taken) {
        const rec = jobs.get(name);
        if (rec !== undefined) book.set(rec, now);
      }
    }
  }

  /**
   * The next instant the loop must wake for scheduled occurrences: the prepare instant of the next one, or the
   * occurrence itself when it cannot be taken ahead (or its prepare instant has passed).
   */
  nextWake(now: number): number {
    const due = this.host.book.next();
    return due - this.prepareLeadMs > now ? due - this.prepareLeadMs : due;
  }

  forget(name: string): void {
    this.notAhead.delete(name);
  }
}

function aheadOk(rec: JobRecord, plan: OccurrencePlan): boolean {
  if (rec.v2 !== undefined && rec.v2.schedules[0]?.concurrencyPolicy !== 'ALLOW') return false;
  return plan.stop.length === 0 && plan.update.length === 0 && plan.create.length > 0 && plan.create.every((r) => r.status === 'QUEUED');
}
