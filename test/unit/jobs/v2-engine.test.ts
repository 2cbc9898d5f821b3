import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { getJson, jsonBytes, MemoryStore, type Store, type StoreWrite, type Version } from '../../../src/coordination/index.js';
import { JobEngine } from '../../../src/jobs/engine/job-engine.js';
import { jobKey, type JobRecord, type RunRecord } from '../../../src/jobs/state/records.js';
import { V2Service } from '../../../src/jobs/v2/service.js';
import { parseJobSpec, parseScheduleSpec } from '../../../src/jobs/v2/spec.js';
import { FakeDriver, offer, status } from './fake-driver.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const MIN = 60_000;

class CountingStore extends MemoryStore {
  batches = 0;
  puts = 0;
  override async putMany(writes: readonly StoreWrite[]): Promise<Version[]> {
    this.batches++;
    return super.putMany(writes);
  }
  override async put(key: string, value: Uint8Array, expected: Version | 'absent'): Promise<Version> {
    this.puts++;
    return super.put(key, value, expected);
  }
}

async function setup(store: Store, clock: FakeClock): Promise<{ engine: JobEngine; driver: FakeDriver; svc: V2Service }> {
  const engine = new JobEngine({ store, clock, logger: silentLogger(), failureRetryMs: 1000, reconcileIntervalMs: 5000 });
  await engine.load();
  const driver = new FakeDriver();
  engine.attach(driver);
  await engine.onSubscribed('fw');
  return { engine, driver, svc: new V2Service(engine, 'root') };
}

const job = (id: string, run: object = { cmd: 'true' }): ReturnType<typeof parseJobSpec>['job'] => parseJobSpec({ id, run }).job;
const sched = (o: object): ReturnType<typeof parseScheduleSpec> => parseScheduleSpec({ id: 's1', ...o });

/** Offers once and answers every task launched since the last call with RUNNING then `end` (none: left running). */
async function offerAndRun(engine: JobEngine, driver: FakeDriver, end?: 'TASK_FINISHED' | 'TASK_FAILED', message?: string): Promise<string[]> {
  await engine.onOffers([offer(), offer()]);
  const ids = driver.launched.slice(driver.handled).map((t) => t.task_id.value);
  driver.handled = driver.launched.length;
  for (const id of ids) {
    await engine.onUpdate(status(id, 'TASK_RUNNING'));
    if (end !== undefined) await engine.onUpdate(status(id, end, message !== undefined ? { message } : {}));
  }
  return ids;
}

const byStatus = (runs: readonly RunRecord[], s: RunRecord['status']): RunRecord[] => runs.filter((r) => r.status === s);

describe('/v2 jobs in the engine (fake clock)', () => {
  it('a cron schedule takes each occurrence once, launches it and keeps the history', async () => {
    const clock = new FakeClock(T0);
    const { engine, driver, svc } = await setup(new MemoryStore(), clock);
    await svc.create(job('nightly'), [sched({ cron: '*/5 * * * *' })]);
    await clock.advance(5 * MIN);
    expect(await offerAndRun(engine, driver, 'TASK_FINISHED')).toEqual([`ct:${T0 + 5 * MIN}:0:nightly:`]);
    await clock.advance(5 * MIN);
    expect(await offerAndRun(engine, driver, 'TASK_FINISHED')).toEqual([`ct:${T0 + 10 * MIN}:0:nightly:`]);
    const runs = engine.runs('nightly');
    expect(runs.map((r) => [r.id, r.status])).toEqual([
      [`occ-${T0 + 10 * MIN}`, 'SUCCESS'],
      [`occ-${T0 + 5 * MIN}`, 'SUCCESS'],
    ]);
    expect(runs[0]?.attempts[0]?.exitCode).toBe(0);
    expect(engine.record('nightly')?.job.successCount).toBe(2);
    await engine.stop();
  });

  it('ON_FAILURE relaunches with doubling backoff until activeDeadlineSeconds, recording exit codes', async () => {
    const clock = new FakeClock(T0);
    const { engine, driver, svc } = await setup(new MemoryStore(), clock);
    await svc.create(job('flaky', { cmd: 'exit 3', restart: { policy: 'ON_FAILURE', activeDeadlineSeconds: 4 } }));
    const run = await svc.startRun('flaky');
    expect(await offerAndRun(engine, driver, 'TASK_FAILED', 'Command exited with status 3')).toHaveLength(1);
    // Backoff 1 s: nothing before it.
    expect(await offerAndRun(engine, driver)).toEqual([]);
    await clock.advance(1000);
    expect(await offerAndRun(engine, driver, 'TASK_FAILED', 'Command exited with status 3')).toHaveLength(1);
    await clock.advance(1000);
    expect(await offerAndRun(engine, driver)).toEqual([]);
    await clock.advance(1000);
    // Third attempt at t=3 s; its relaunch would be at 3+4 s ≥ the 4 s deadline: the run fails.
    expect(await offerAndRun(engine, driver, 'TASK_FAILED', 'Command exited with status 3')).toHaveLength(1);
    const done = engine.runs('flaky').find((r) => r.id === run.id);
    expect(done?.status).toBe('FAILED');
    expect(done?.attempts.map((a) => a.exitCode)).toEqual([3, 3, 3]);
    expect(done?.message).toContain('Command exited with status 3');
    await clock.advance(60_000);
    expect(await offerAndRun(engine, driver)).toEqual([]);
    await engine.stop();
  });

  it('ON_FAILURE without a deadline succeeds on a later attempt; NEVER fails at once', async () => {
    const clock = new FakeClock(T0);
    const { engine, driver, svc } = await setup(new MemoryStore(), clock);
    await svc.create(job('retry', { cmd: 'x', restart: { policy: 'ON_FAILURE' } }));
    await svc.create(job('once', { cmd: 'x' }));
    await svc.startRun('retry');
    await svc.startRun('once');
    expect(await offerAndRun(engine, driver, 'TASK_FAILED')).toHaveLength(2);
    await clock.advance(1000);
    expect(await offerAndRun(engine, driver, 'TASK_FINISHED')).toHaveLength(1);
    expect(engine.runs('retry')[0]).toMatchObject({ status: 'SUCCESS', attempt: 1 });
    expect(engine.runs('once')[0]).toMatchObject({ status: 'FAILED', attempt: 0 });
    await engine.stop();
  });

  it('FORBID skips an occurrence while a run is active (recorded MISSED) and refuses a manual run with 409', async () => {
    const clock = new FakeClock(T0);
    const { engine, driver, svc } = await setup(new MemoryStore(), clock);
    await svc.create(job('solo'), [sched({ cron: '* * * * *', concurrencyPolicy: 'FORBID' })]);
    await svc.startRun('solo');
    expect(await offerAndRun(engine, driver)).toHaveLength(1);
    await expect(svc.startRun('solo')).rejects.toMatchObject({ status: 409 });
    await clock.advance(MIN);
    const missed = byStatus(engine.runs('solo'), 'MISSED');
    expect(missed.map((r) => r.id)).toEqual([`occ-${T0 + MIN}`]);
    expect(missed[0]?.message).toContain('FORBID');
    expect(await offerAndRun(engine, driver)).toEqual([]);
    await engine.stop();
  });

  it('REPLACE stops the active run and starts the new occurrence', async () => {
    const clock = new FakeClock(T0);
    const { engine, driver, svc } = await setup(new MemoryStore(), clock);
    await svc.create(job('fresh'), [sched({ cron: '* * * * *', concurrencyPolicy: 'REPLACE' })]);
    await svc.startRun('fresh');
    const [first] = await offerAndRun(engine, driver);
    await clock.advance(MIN);
    expect(driver.killed).toEqual([first]);
    await engine.onUpdate(status(first ?? '', 'TASK_KILLED'));
    expect(await offerAndRun(engine, driver)).toEqual([`ct:${T0 + MIN}:0:fresh:`]);
    expect(byStatus(engine.runs('fresh'), 'KILLED')).toHaveLength(1);
    await engine.stop();
  });

  it('a run not started within startingDeadlineSeconds becomes MISSED', async () => {
    const clock = new FakeClock(T0);
    const { engine, driver, svc } = await setup(new MemoryStore(), clock);
    await svc.create(job('late'), [sched({ cron: '* * * * *', startingDeadlineSeconds: 60 })]);
    await clock.advance(MIN);
    expect(engine.activeRuns('late')).toHaveLength(1);
    await clock.advance(60_001);
    const missed = byStatus(engine.runs('late'), 'MISSED');
    expect(missed.map((r) => r.id)).toContain(`occ-${T0 + MIN}`);
    expect(missed.find((r) => r.id === `occ-${T0 + MIN}`)?.message).toContain('startingDeadlineSeconds');
    expect(driver.launched).toEqual([]);
    await engine.stop();
  });

  for (const [policy, now, ran, missedCount] of [
    ['SKIP', 5 * 60, ['05:00'], 4],
    ['BACKFILL', 5 * 60, ['03:00', '04:00', '05:00'], 2],
    ['RUN_ONCE', 5 * 60 + 30, ['05:00'], 4],
  ] as const) {
    it(`after downtime, catchUp ${policy} records every missed occurrence and runs ${ran.join(', ')}`, async () => {
      const store = new MemoryStore();
      const clock = new FakeClock(T0);
      const first = await setup(store, clock);
      await first.svc.create(job('hourly'), [sched({ cron: '0 * * * *', catchUp: policy, catchUpLimit: 2 })]);
      await first.engine.stop();
      await clock.advance(now * MIN);
      const { engine } = await setup(store, clock);
      const runs = engine.runs('hourly');
      const hhmm = (r: RunRecord): string => new Date(r.occurrence ?? 0).toISOString().slice(11, 16);
      expect(byStatus(runs, 'QUEUED').map(hhmm).sort()).toEqual([...ran]);
      expect(byStatus(runs, 'MISSED')).toHaveLength(missedCount);
      expect(runs).toHaveLength(5);
      await engine.stop();
    });
  }

  it('exactly once: an occurrence whose run was written before a crash that lost the job update is not taken again', async () => {
    const store = new MemoryStore();
    const clock = new FakeClock(T0);
    const first = await setup(store, clock);
    await first.svc.create(job('once'), [sched({ cron: '* * * * *' })]);
    const before = await getJson<JobRecord>(store, jobKey('once'));
    await clock.advance(MIN);
    expect(first.engine.activeRuns('once')).toHaveLength(1);
    await first.engine.stop();
    // Roll the job record back to before the wake (the crash lost that write); the run record stays.
    const now = await store.get(jobKey('once'));
    await store.put(jobKey('once'), jsonBytes(before?.value), now?.version ?? 'absent');
    const second = await setup(store, clock);
    expect(second.engine.runs('once').map((r) => r.id)).toEqual([`occ-${T0 + MIN}`]);
    await clock.advance(MIN);
    expect(second.engine.runs('once').map((r) => r.id).sort()).toEqual([`occ-${T0 + MIN}`, `occ-${T0 + 2 * MIN}`]);
    await second.engine.stop();
  });

  it('1,000 jobs due in the same second: one Store batch for the wake, one run each, heap order kept', async () => {
    const store = new CountingStore();
    const clock = new FakeClock(T0);
    const { engine, svc } = await setup(store, clock);
    for (let i = 0; i < 1000; i++) await svc.create(job(`j${i}`), [sched({ cron: i % 2 === 0 ? '* * * * *' : '*/2 * * * *' })]);
    const [batches, puts] = [store.batches, store.puts];
    await clock.advance(MIN);
    expect(store.batches - batches).toBe(1);
    expect(store.puts - puts).toBe(0);
    let queued = 0;
    for (let i = 0; i < 1000; i++) queued += engine.activeRuns(`j${i}`).length;
    expect(queued).toBe(500);
    await clock.advance(MIN);
    queued = 0;
    for (let i = 0; i < 1000; i++) queued += engine.activeRuns(`j${i}`).length;
    expect(queued).toBe(1500);
    await engine.stop();
  });

  it('a failed wake write is retried: the occurrence is taken once the Store answers again', async () => {
    const store = new CountingStore();
    const clock = new FakeClock(T0);
    const { engine, svc } = await setup(store, clock);
    await svc.create(job('sturdy'), [sched({ cron: '* * * * *' })]);
    const real = store.putMany.bind(store);
    let failures = 1;
    store.putMany = async (writes) => {
      if (failures-- > 0) throw new Error('disk full');
      return real(writes);
    };
    // The occurrence is taken a second ahead (ADR 0045): that write fails, the retry a second later succeeds.
    await clock.advance(MIN - 1000);
    expect(engine.activeRuns('sturdy')).toEqual([]);
    await clock.advance(1000);
    expect(engine.activeRuns('sturdy').map((r) => r.id)).toEqual([`occ-${T0 + MIN}`]);
    await engine.stop();
  });
});
