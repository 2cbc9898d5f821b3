/**
 * The jobs framework's durable state over a Store: job records, run records and the framework id. The
 * engine is the only writer, so the repo caches each key's version and writes with compare-and-set against
 * it; a STORE_CONFLICT therefore means another writer (a second instance) and is surfaced, never retried.
 */
import { getJson, jsonBytes, type Store, type Version } from '../../coordination/index.js';
import { FRAMEWORK_ID_KEY, jobKey, runKey, runPrefix, type JobRecord, type RunRecord } from './records.js';

export class JobsRepo {
  private readonly versions = new Map<string, Version>();

  constructor(private readonly store: Store) {}

  async loadJobs(): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    for (const key of await this.store.list('jobs/job/')) {
      const v = await getJson<JobRecord>(this.store, key);
      if (v === undefined) continue;
      this.versions.set(key, v.version);
      out.push(v.value);
    }
    return out;
  }

  async loadRuns(job: string): Promise<RunRecord[]> {
    const out: RunRecord[] = [];
    for (const key of await this.store.list(runPrefix(job))) {
      const v = await getJson<RunRecord>(this.store, key);
      if (v === undefined) continue;
      this.versions.set(key, v.version);
      out.push(v.value);
    }
    return out;
  }

  async frameworkId(): Promise<string | undefined> {
    const v = await getJson<{ id: string }>(this.store, FRAMEWORK_ID_KEY);
    if (v !== undefined) this.versions.set(FRAMEWORK_ID_KEY, v.version);
    return v?.value.id;
  }

  async saveFrameworkId(id: string): Promise<void> {
    await this.write(FRAMEWORK_ID_KEY, { id });
  }

  async saveJob(rec: JobRecord): Promise<void> {
    await this.write(jobKey(rec.job.name), rec);
  }

  async deleteJob(name: string): Promise<void> {
    await this.remove(jobKey(name));
    for (const key of await this.store.list(runPrefix(name))) await this.remove(key);
  }

  /** Creates a run record; false (nothing written) when that run id already exists: the occurrence is taken. */
  async createRun(run: RunRecord): Promise<boolean> {
    const key = runKey(run.job, run.id);
    if (this.versions.has(key) || (await this.store.get(key)) !== undefined) return false;
    this.versions.set(key, await this.store.put(key, jsonBytes(run), 'absent'));
    return true;
  }

  /**
   * One wake's writes as one Store transaction when the Store supports it (`putMany`): new run records (those
   * whose id already exists are left out: the occurrence is taken), updated runs and job records. Returns the
   * runs actually created. All or nothing: a conflict (another writer) applies none of them.
   */
  async writeBatch(create: readonly RunRecord[], update: readonly RunRecord[], jobs: readonly JobRecord[]): Promise<RunRecord[]> {
    // The repo knows every run key that exists (loaded at start, or written since: the engine is the only
    // writer), so no read per record; a key another writer created fails the batch with STORE_CONFLICT.
    const fresh = create.filter((run) => !this.versions.has(runKey(run.job, run.id)));
    const writes = [
      ...fresh.map((r) => ({ key: runKey(r.job, r.id), value: jsonBytes(r), expected: 'absent' as const })),
      ...update.map((r) => ({ key: runKey(r.job, r.id), value: jsonBytes(r), expected: this.versions.get(runKey(r.job, r.id)) ?? ('absent' as const) })),
      ...jobs.map((j) => ({ key: jobKey(j.job.name), value: jsonBytes(j), expected: this.versions.get(jobKey(j.job.name)) ?? ('absent' as const) })),
    ];
    if (this.store.putMany !== undefined) {
      const versions = await this.store.putMany(writes);
      writes.forEach((w, i) => this.versions.set(w.key, versions[i] ?? 0));
    } else {
      for (const w of writes) this.versions.set(w.key, await this.store.put(w.key, w.value, w.expected));
    }
    return fresh;
  }

  async saveRun(run: RunRecord): Promise<void> {
    await this.write(runKey(run.job, run.id), run);
  }

  async deleteRun(run: RunRecord): Promise<void> {
    await this.remove(runKey(run.job, run.id));
  }

  private async write(key: string, value: unknown): Promise<void> {
    const expected = this.versions.get(key) ?? 'absent';
    this.versions.set(key, await this.store.put(key, jsonBytes(value), expected));
  }

  private async remove(key: string): Promise<void> {
    let version = this.versions.get(key);
    if (version === undefined) version = (await this.store.get(key))?.version;
    if (version === undefined) return;
    await this.store.delete(key, version);
    this.versions.delete(key);
  }
}
