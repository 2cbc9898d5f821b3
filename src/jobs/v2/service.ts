/**
 * The `/v2` operations (spec §8) over the job engine. Each write runs inside one engine transaction, so checks
 * (exists, conflicts, active runs) and writes see the same state; errors are V2Errors with Metronome's codes
 * (404 unknown job, 409 conflict, 422 validation).
 */
import type { JobJson } from '../api/job-schema.js';
import { JOB_NAME_RE } from '../api/job-input.js';
import { JobsError } from '../api/errors.js';
import { childrenOf, validateParents } from '../api/graph.js';
import type { JobEngine } from '../engine/job-engine.js';
import { newRun } from '../engine/outcomes.js';
import { entryOf, lastTakenOf } from '../engine/due-book.js';
import { nextCron } from '../schedule/cron.js';
import { START_CURSOR } from '../schedule/cursor.js';
import type { JobRecord, RunRecord, V2State } from '../state/records.js';
import { V2Error, type V2JobSpec, type V2ScheduleSpec } from './spec.js';
import { policyOf } from './wire.js';

export const notFound = (id: string): V2Error => new V2Error(404, `Job '${id}' does not exist`);

/** The Chronos view of a /v2 job: what the engine launches. Counters carry over from `old`. */
export function chronosView(spec: V2JobSpec, defaultUser: string, old?: JobJson): JobJson {
  const { run } = spec;
  const argv = run.args ?? [];
  return {
    name: spec.id,
    command: run.cmd ?? argv[0] ?? '',
    shell: run.cmd !== undefined,
    executor: '',
    executorFlags: '',
    taskInfoData: '',
    retries: 0,
    owner: '',
    ownerName: '',
    description: spec.description ?? '',
    successCount: old?.successCount ?? 0,
    errorCount: old?.errorCount ?? 0,
    lastSuccess: old?.lastSuccess ?? '',
    lastError: old?.lastError ?? '',
    cpus: run.cpus,
    disk: run.disk,
    mem: run.mem,
    disabled: false,
    softError: false,
    dataProcessingJobType: false,
    errorsSinceLastSuccess: old?.errorsSinceLastSuccess ?? 0,
    fetch: [],
    uris: [],
    environmentVariables: Object.entries(run.env).map(([name, value]) => ({ name, value })),
    arguments: argv.slice(1),
    highPriority: false,
    runAsUser: run.user ?? defaultUser,
    // Overlap is governed by the schedule's concurrencyPolicy, not Chronos's `concurrent`.
    concurrent: true,
    maxCompletionTime: 0,
    // IS and EQ are EQUALS in the Chronos view (one matcher: src/jobs/engine/constraints.ts).
    constraints: (run.placement?.constraints ?? []).map((c) => [c.attribute, c.operator === 'IS' || c.operator === 'EQ' ? 'EQUALS' : c.operator, c.value]),
    // Dependencies run on the engine's dependent-job rule (parents succeeded since the last trigger).
    ...((spec.dependencies ?? []).length > 0 ? { parents: (spec.dependencies ?? []).map((d) => d.id) } : {}),
  };
}

/** Metronome's run id: `yyyyMMddHHmmss` plus five characters (here a sequence number, unique per job). */
export function runId(now: number, seq: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${stamp}${seq.toString(36).padStart(5, '0').slice(-5)}`;
}

export class V2Service {
  constructor(
    private readonly engine: JobEngine,
    private readonly defaultUser: string,
  ) {}

  /** The job's record, or 404 (also for a job created through the Chronos API). */
  need(id: string): JobRecord & { v2: V2State } {
    const rec = this.engine.record(id);
    if (rec?.v2 === undefined) throw notFound(id);
    return rec as JobRecord & { v2: V2State };
  }

  list(): Array<JobRecord & { v2: V2State }> {
    return this.engine.listJobs().flatMap((j) => {
      const rec = this.engine.record(j.name);
      return rec?.v2 !== undefined ? [rec as JobRecord & { v2: V2State }] : [];
    });
  }

  /** The next occurrence of a schedule of the job, if enabled. */
  nextRun(rec: JobRecord, s: V2ScheduleSpec): number | undefined {
    // An occurrence taken ahead of its instant (ADR 0045) is still the next run.
    const ahead = s.enabled ? this.engine.takenAhead(rec.job.name)[0]?.occurrence : undefined;
    if (ahead !== undefined) return ahead;
    const e = entryOf({ ...rec, v2: { ...(rec.v2 as V2State), schedules: [s] } }, 0);
    return e?.kind === 'cron' && s.enabled ? nextCron(e.cron, e.zone, lastTakenOf(rec, s)) : undefined;
  }

  create(spec: V2JobSpec, schedules: readonly V2ScheduleSpec[] = []): Promise<JobRecord> {
    return this.engine.transact(async (tx) => {
      if (this.engine.record(spec.id) !== undefined) throw new V2Error(409, `Job with id '${spec.id}' already exists`);
      if (!JOB_NAME_RE.test(spec.id)) throw new V2Error(422, 'Object is not valid', [{ path: '/id', errors: ['invalid id'] }]);
      const lastTaken = Object.fromEntries(schedules.map((s) => [s.id, tx.now]));
      const rec: JobRecord = { job: chronosView(spec, this.defaultUser), cursor: START_CURSOR, parentsDone: [], v2: { spec, schedules, lastTaken, createdAt: tx.now } };
      this.checkDependencies(rec.job);
      await tx.saveJob(rec);
      return rec;
    });
  }

  /** Replaces the spec; schedules are kept unless `schedules` is given (Metronome's v1 PUT keeps them). */
  replace(spec: V2JobSpec, schedules?: readonly V2ScheduleSpec[]): Promise<JobRecord> {
    return this.engine.transact(async (tx) => {
      const old = this.need(spec.id);
      const job = chronosView(spec, this.defaultUser, old.job);
      const next: JobRecord & { v2: V2State } = { ...old, job, parentsDone: old.parentsDone.filter((p) => job.parents?.includes(p) === true), v2: { ...old.v2, spec } };
      const rec = schedules === undefined ? next : withSchedules(next, schedules, tx.now);
      if (job.parents !== undefined && rec.v2 !== undefined && rec.v2.schedules.length > 0) throw new V2Error(422, 'Object is not valid', [{ path: '/dependencies', errors: ['schedules and dependencies are mutually exclusive'] }]);
      this.checkDependencies(job);
      await tx.saveJob(rec);
      return rec;
    });
  }

  /** 409 while runs are active unless `stopRuns`; the deleted job is returned. */
  remove(id: string, stopRuns: boolean): Promise<JobRecord> {
    return this.engine.transact(async (tx) => {
      const rec = this.need(id);
      const active = this.engine.activeRuns(id);
      if (active.length > 0 && !stopRuns) throw new V2Error(409, `Job '${id}' has ${active.length} active run(s); pass stopCurrentJobRuns=true to stop them`);
      const dependents = childrenOf(id, this.engine.jobsByName());
      if (dependents.length > 0) throw new V2Error(409, `Job '${id}' is a dependency of ${dependents.join(', ')}`);
      await tx.deleteJob(id);
      return rec;
    });
  }

  /** Creates (`mode` 'create': 409 when it exists or the job already has its one schedule) or replaces a schedule. */
  putSchedule(id: string, s: V2ScheduleSpec, mode: 'create' | 'replace'): Promise<V2ScheduleSpec> {
    return this.engine.transact(async (tx) => {
      const rec = this.need(id);
      const exists = rec.v2.schedules.some((x) => x.id === s.id);
      if (mode === 'create' && exists) throw new V2Error(409, `Schedule '${s.id}' of job '${id}' already exists`);
      if (mode === 'create' && rec.v2.schedules.length > 0) throw new V2Error(409, `Job '${id}' already has a schedule (at most one is supported)`);
      if (mode === 'replace' && !exists) throw new V2Error(404, `Schedule '${s.id}' of job '${id}' does not exist`);
      if ((rec.v2.spec.dependencies ?? []).length > 0) throw new V2Error(409, `Job '${id}' has dependencies: a job runs either on a schedule or after its dependencies`);
      await tx.saveJob(withSchedules(rec, [s], tx.now));
      return s;
    });
  }

  deleteSchedule(id: string, sid: string): Promise<void> {
    return this.engine.transact(async (tx) => {
      const rec = this.need(id);
      if (!rec.v2.schedules.some((x) => x.id === sid)) throw new V2Error(404, `Schedule '${sid}' of job '${id}' does not exist`);
      await tx.saveJob(withSchedules(rec, rec.v2.schedules.filter((x) => x.id !== sid), tx.now));
    });
  }

  /**
   * A manual run (201 + run). It follows the schedule's concurrencyPolicy so a trigger never vanishes silently:
   * FORBID → 409 while a run is active; REPLACE → the active runs are stopped first.
   */
  startRun(id: string): Promise<RunRecord> {
    return this.engine.transact(async (tx) => {
      const rec = this.need(id);
      const active = this.engine.activeRuns(id);
      const policy = policyOf(rec);
      if (policy === 'FORBID' && active.length > 0) throw new V2Error(409, `Job '${id}' has an active run and its concurrencyPolicy is FORBID`);
      if (policy === 'REPLACE') for (const run of active) await tx.stopRun(run, 'stopped: replaced by a manual run (concurrencyPolicy REPLACE)');
      return tx.createRun((seq) => newRun(id, runId(tx.now, seq), 'manual', tx.now, ''));
    });
  }

  /** 422 when a dependency is unknown or would close a cycle (spec §8.4). */
  private checkDependencies(job: JobJson): void {
    if (job.parents === undefined) return;
    const jobs = this.engine.jobsByName();
    jobs.set(job.name, job);
    try {
      validateParents(job, jobs);
    } catch (e: unknown) {
      if (e instanceof JobsError) throw new V2Error(422, 'Object is not valid', [{ path: '/dependencies', errors: [e.message] }]);
      throw e;
    }
  }

  /** Stops an active run: its task is killed (the run ends FAILED/KILLED when the kill lands). */
  stopRun(id: string, runIdText: string): Promise<RunRecord> {
    return this.engine.transact(async (tx) => {
      this.need(id);
      const run = this.engine.activeRuns(id).find((r) => r.id === runIdText);
      if (run === undefined) throw new V2Error(404, `Run '${runIdText}' of job '${id}' is not active`);
      await tx.stopRun(run, 'stopped through the API');
      return run;
    });
  }
}

/**
 * The record with `schedules`; a schedule whose cron, zone or enabled flag changed (or a new one) is re-armed at
 * `now`, so a change never backfills the past (catch-up is for downtime only).
 */
function withSchedules(rec: JobRecord & { v2: V2State }, schedules: readonly V2ScheduleSpec[], now: number): JobRecord {
  const lastTaken: Record<string, number> = {};
  for (const s of schedules) {
    const old = rec.v2.schedules.find((x) => x.id === s.id);
    const same = old !== undefined && old.cron === s.cron && old.timezone === s.timezone && old.enabled === s.enabled;
    lastTaken[s.id] = same ? (rec.v2.lastTaken[s.id] ?? now) : now;
  }
  return { ...rec, v2: { ...rec.v2, schedules, lastTaken } };
}
