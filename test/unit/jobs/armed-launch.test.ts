/**
 * ADR 0045: occurrences taken ahead of their instant and armed on held offers, so the launch at the instant
 * needs no Store write; exactly once still holds through crashes, rescinds, kills and redefinitions.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { getJson, MemoryStore, type Store, type StoreWrite, type Version } from '../../../src/coordination/index.js';
import { JobEngine } from '../../../src/jobs/engine/job-engine.js';
import { parseJobBody } from '../../../src/jobs/api/job-input.js';
import { DEFAULT_JOB_DEFAULTS } from '../../../src/jobs/api/job-schema.js';
import { runKey, type RunRecord } from '../../../src/jobs/state/records.js';
import { V2Service } from '../../../src/jobs/v2/service.js';
import { parseJobSpec, parseScheduleSpec } from '../../../src/jobs/v2/spec.js';
import { FakeDriver, offer, status } from './fake-driver.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

class CountingStore extends MemoryStore {
  batches = 0;
  override async putMany(writes: readonly StoreWrite[]): Promise<Version[]> {
    this.batches++;
    return super.putMany(writes);
  }
}

async function engineOn(store: Store, clock: FakeClock, driver = new FakeDriver()): Promise<{ engine: JobEngine; driver: FakeDriver }> {
  const engine = new JobEngine({ store, clock, logger: silentLogger(), failureRetryMs: 1000, reconcileIntervalMs: 5000 });
  await engine.load();
  engine.attach(driver);
  await engine.onSubscribed('fw');
  return { engine, driver };
}

const body = (o: object): ReturnType<typeof parseJobBody> => parseJobBody(JSON.stringify(o), 'scheduled', DEFAULT_JOB_DEFAULTS, T0);
const ids = (d: FakeDriver): string[] => d.launched.map((t) => t.task_id.value);
const stored = async (store: Store, job: string, id: string): Promise<RunRecord | undefined> => (await getJson<RunRecord>(store, runKey(job, id)))?.value;

describe('armed launches (occurrences taken ahead)', () => {
  it('persists the run as LAUNCHING a second ahead and sends the LAUNCH at the instant, not before', async () => {
    const clock = new FakeClock(T0);
    const store = new MemoryStore();
    const { engine, driver } = await engineOn(store, clock);
    const due = T0 + 5000;
    await engine.putJob(body({ name: 'soon', command: 'true', schedule: `R2/${iso(due)}/PT1M` }));
    await clock.advance(3000);
    await engine.onOffers([offer()]);
    expect(driver.declined).toEqual([]);
    await clock.advance(1000);
    // Taken and armed at due − 1 s: durable as LAUNCHING with its task id, nothing sent yet.
    expect(await stored(store, 'soon', `occ-${due}`)).toMatchObject({ status: 'LAUNCHING', taskId: `ct:${due}:0:soon:`, agentId: 'a1' });
    expect(ids(driver)).toEqual([]);
    // GET still shows the occurrence as the next start, with its repetition.
    expect(engine.getJob('soon').schedule).toBe(`R2/${iso(due)}/PT1M`);
    await clock.advance(999);
    expect(ids(driver)).toEqual([]);
    await clock.advance(1);
    expect(ids(driver)).toEqual([`ct:${due}:0:soon:`]);
    expect(engine.getJob('soon').schedule).toBe(`R1/${iso(due + 60_000)}/PT1M`);
    await engine.onUpdate(status(`ct:${due}:0:soon:`, 'TASK_RUNNING'));
    await engine.onUpdate(status(`ct:${due}:0:soon:`, 'TASK_FINISHED'));
    expect(engine.getJob('soon').successCount).toBe(1);
    await engine.stop();
  });

  it('a crash while armed: the restarted engine reconciles, then launches the occurrence once at its instant', async () => {
    const clock = new FakeClock(T0);
    const store = new MemoryStore();
    const a = await engineOn(store, clock);
    const due = T0 + 5000;
    await a.engine.putJob(body({ name: 'crash', command: 'true', schedule: `R1/${iso(due)}/PT1M` }));
    await clock.advance(3500);
    await a.engine.onOffers([offer()]);
    await clock.advance(600);
    expect((await stored(store, 'crash', `occ-${due}`))?.status).toBe('LAUNCHING');
    await a.engine.stop();
    const b = await engineOn(store, clock);
    expect(b.driver.reconciled).toEqual([[{ taskId: `ct:${due}:0:crash:`, agentId: 'a1' }]]);
    await b.engine.onUpdate(status(`ct:${due}:0:crash:`, 'TASK_LOST', { reason: 'REASON_RECONCILIATION' }));
    // Not launched before its instant, even though offers are there.
    await b.engine.onOffers([offer()]);
    expect(ids(b.driver)).toEqual([]);
    await clock.advance(1000);
    await b.engine.onOffers([offer()]);
    expect(ids(a.driver)).toEqual([]);
    expect(ids(b.driver)).toEqual([`ct:${due}:0:crash:`]);
    await b.engine.stop();
  });

  it('a rescinded offer puts its armed runs back in the queue; they launch at the instant on another offer', async () => {
    const clock = new FakeClock(T0);
    const { engine, driver } = await engineOn(new MemoryStore(), clock);
    const due = T0 + 5000;
    await engine.putJob(body({ name: 'resc', command: 'true', schedule: `R1/${iso(due)}/PT1M` }));
    await clock.advance(3000);
    const first = offer();
    await engine.onOffers([first]);
    await clock.advance(1500);
    expect(engine.runs('resc')[0]?.status).toBe('LAUNCHING');
    engine.onRescind(first.id.value);
    await clock.advance(0);
    expect(engine.runs('resc')[0]?.status).toBe('QUEUED');
    const second = offer();
    await engine.onOffers([second]);
    await clock.advance(500);
    expect(ids(driver)).toEqual([`ct:${due}:0:resc:`]);
    expect(driver.launchedOn).toEqual([[second.id.value]]);
    await engine.stop();
  });

  it('stopping an armed run ends it KILLED without a launch; redefining a job re-plans its armed run', async () => {
    const clock = new FakeClock(T0);
    const { engine, driver } = await engineOn(new MemoryStore(), clock);
    const due = T0 + 5000;
    await engine.putJob(body({ name: 'k', command: 'true', schedule: `R1/${iso(due)}/PT1M` }));
    await engine.putJob(body({ name: 'r', command: 'old', schedule: `R1/${iso(due)}/PT1M` }));
    await clock.advance(3000);
    await engine.onOffers([offer()]);
    await clock.advance(1500);
    await engine.killTasks('k');
    expect(engine.runs('k')[0]).toMatchObject({ status: 'KILLED' });
    await engine.putJob(body({ name: 'r', command: 'new', schedule: `R1/${iso(due)}/PT1M` }));
    await engine.onOffers([offer()]);
    await clock.advance(500);
    expect(ids(driver)).toEqual([`ct:${due}:0:r:`]);
    expect(driver.launched[0]?.command?.value).toBe('new');
    expect(driver.killed).toEqual([]);
    await engine.stop();
  });

  it('a /v2 FORBID schedule is not taken ahead (the policy looks at the runs active at the instant)', async () => {
    const clock = new FakeClock(T0);
    const { engine } = await engineOn(new MemoryStore(), clock);
    const svc = new V2Service(engine, 'root');
    await svc.create(parseJobSpec({ id: 'forbid', run: { cmd: 'true' } }).job, [parseScheduleSpec({ id: 's', cron: '* * * * *', concurrencyPolicy: 'FORBID' })]);
    await svc.create(parseJobSpec({ id: 'allow', run: { cmd: 'true' } }).job, [parseScheduleSpec({ id: 's', cron: '* * * * *' })]);
    await clock.advance(59_500);
    expect(engine.activeRuns('forbid')).toEqual([]);
    expect(engine.activeRuns('allow').map((r) => r.id)).toEqual([`occ-${T0 + 60_000}`]);
    await clock.advance(500);
    expect(engine.activeRuns('forbid').map((r) => r.id)).toEqual([`occ-${T0 + 60_000}`]);
    await engine.stop();
  });

  it('status updates that arrive together are written in one Store batch and acknowledged after it', async () => {
    const clock = new FakeClock(T0);
    const store = new CountingStore();
    const { engine, driver } = await engineOn(store, clock);
    for (const n of ['a', 'b', 'c']) {
      await engine.putJob(body({ name: n, command: 'true', schedule: `R1/${iso(T0 + 3_600_000)}/PT1H` }));
      await engine.startManual(n, undefined);
    }
    await engine.onOffers([offer()]);
    const tasks = ids(driver);
    expect(tasks).toHaveLength(3);
    const before = store.batches;
    await Promise.all(tasks.map((id) => engine.onUpdate(status(id, 'TASK_RUNNING'))));
    expect(store.batches - before).toBe(1);
    expect(driver.acked).toEqual(tasks);
    expect(['a', 'b', 'c'].map((n) => engine.runs(n)[0]?.status)).toEqual(['RUNNING', 'RUNNING', 'RUNNING']);
    // A terminal update in the same batch is applied after the RUNNING records, in order.
    await Promise.all(tasks.flatMap((id) => [engine.onUpdate(status(id, 'TASK_RUNNING')), engine.onUpdate(status(id, 'TASK_FINISHED'))]));
    expect(['a', 'b', 'c'].map((n) => engine.getJob(n).successCount)).toEqual([1, 1, 1]);
    await engine.stop();
  });
});
