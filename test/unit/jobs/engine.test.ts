import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { MemoryStore, type Store } from '../../../src/coordination/index.js';
import { JobEngine } from '../../../src/jobs/engine/job-engine.js';
import { parseJobBody } from '../../../src/jobs/api/job-input.js';
import { DEFAULT_JOB_DEFAULTS } from '../../../src/jobs/api/job-schema.js';
import { FakeDriver, offer, status } from './fake-driver.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

async function engineOn(store: Store, clock: FakeClock, driver = new FakeDriver()): Promise<{ engine: JobEngine; driver: FakeDriver }> {
  const engine = new JobEngine({ store, clock, logger: silentLogger(), failureRetryMs: 1000, reconcileIntervalMs: 5000 });
  await engine.load();
  engine.attach(driver);
  await engine.onSubscribed('fw');
  return { engine, driver };
}

function body(o: object, kind: 'scheduled' | 'dependent' = 'scheduled', now = T0): ReturnType<typeof parseJobBody> {
  return parseJobBody(JSON.stringify(o), kind, DEFAULT_JOB_DEFAULTS, now);
}

/** Offers once and finishes every task launched since the last call (from these or held offers) with `state`. */
async function runOnce(engine: JobEngine, driver: FakeDriver, state: 'TASK_FINISHED' | 'TASK_FAILED' = 'TASK_FINISHED'): Promise<string[]> {
  await engine.onOffers([offer(), offer()]);
  const ids = driver.launched.slice(driver.handled).map((t) => t.task_id.value);
  driver.handled = driver.launched.length;
  for (const id of ids) {
    await engine.onUpdate(status(id, 'TASK_RUNNING'));
    await engine.onUpdate(status(id, state));
  }
  return ids;
}

describe('JobEngine under a fake clock', () => {
  it('R3 runs exactly three times, one task per occurrence, and retries and manual runs never consume the count', async () => {
    const clock = new FakeClock(T0);
    const { engine, driver } = await engineOn(new MemoryStore(), clock);
    await engine.putJob(body({ name: 'r3', command: 'true', schedule: `R3/${iso(T0 + 1000)}/PT10S`, retries: 1 }));
    // Offers are revived ahead of the occurrence and held (not declined) until it falls due.
    expect(driver.interest.at(-1)).toBe('revive');
    expect(await runOnce(engine, driver)).toEqual([]);
    expect(driver.declined).toEqual([]);
    await clock.advance(1000);
    expect(driver.launched.map((t) => t.task_id.value)).toEqual([`ct:${T0 + 1000}:0:r3:`]);
    const first = await runOnce(engine, driver, 'TASK_FAILED');
    expect(first).toEqual([`ct:${T0 + 1000}:0:r3:`]);
    expect(engine.getJob('r3').schedule).toBe(`R2/${iso(T0 + 11_000)}/PT10S`);
    // The retry waits failure_retry, then reuses the occurrence without touching the count.
    expect(await runOnce(engine, driver)).toEqual([]);
    await clock.advance(1000);
    expect(await runOnce(engine, driver)).toEqual([`ct:${T0 + 2000}:1:r3:`]);
    expect(engine.getJob('r3')).toMatchObject({ successCount: 1, errorCount: 0 });
    expect(engine.getJob('r3').schedule?.startsWith('R2/')).toBe(true);

    await engine.startManual('r3', 'x;y');
    expect(await runOnce(engine, driver)).toEqual([`ct:${T0 + 2000}:0:r3:xy`]);
    expect(engine.getJob('r3').schedule?.startsWith('R2/')).toBe(true);

    for (let i = 0; i < 10; i++) {
      await clock.advance(10_000);
      await runOnce(engine, driver);
    }
    const scheduled = driver.launched.map((t) => t.task_id.value).filter((id) => !id.endsWith('xy'));
    expect(scheduled.filter((id) => id.includes(':0:'))).toEqual([`ct:${T0 + 1000}:0:r3:`, `ct:${T0 + 11_000}:0:r3:`, `ct:${T0 + 21_000}:0:r3:`]);
    expect(engine.getJob('r3')).toMatchObject({ successCount: 4, errorCount: 0 });
    expect(engine.getJob('r3').schedule?.startsWith('R0/')).toBe(true);
    await engine.stop();
  });

  it('a failing job with retries 2 makes three attempts and records them', async () => {
    const clock = new FakeClock(T0);
    const { engine, driver } = await engineOn(new MemoryStore(), clock);
    await engine.putJob(body({ name: 'bad', command: 'false', schedule: `R1/${iso(T0)}/PT1H` }));
    for (let i = 0; i < 3; i++) {
      expect(await runOnce(engine, driver, 'TASK_FAILED')).toHaveLength(1);
      await clock.advance(1000);
    }
    expect(await runOnce(engine, driver, 'TASK_FAILED')).toEqual([]);
    expect(engine.getJob('bad')).toMatchObject({ errorCount: 1, successCount: 0, errorsSinceLastSuccess: 1, disabled: false });
    expect(engine.getJob('bad').lastError).not.toBe('');
    const [run] = engine.runs('bad');
    expect(run?.status).toBe('FAILED');
    expect(run?.attempts.map((a) => a.attempt)).toEqual([0, 1, 2]);
    await engine.stop();
  });

  it('a dependent job runs once after both parents succeed, and again only after both succeed again', async () => {
    const clock = new FakeClock(T0);
    const store = new MemoryStore();
    let { engine, driver } = await engineOn(store, clock);
    await engine.putJob(body({ name: 'a', command: 'true', schedule: `R/${iso(T0 + 100_000)}/PT1H` }));
    await engine.putJob(body({ name: 'b', command: 'true', schedule: `R/${iso(T0 + 100_000)}/PT1H` }));
    await engine.putJob(body({ name: 'c', command: 'true', parents: ['a', 'b'] }, 'dependent'));
    await engine.startManual('a', undefined);
    await runOnce(engine, driver);
    await engine.startManual('a', undefined);
    await runOnce(engine, driver);
    expect(engine.getJob('c').successCount).toBe(0);
    // Partial progress survives a restart (#811).
    await engine.stop();
    ({ engine, driver } = await engineOn(store, clock));
    await engine.startManual('b', undefined);
    const launched = await runOnce(engine, driver);
    expect(launched.some((id) => id.includes(':b:'))).toBe(true);
    expect(await runOnce(engine, driver)).toEqual([`ct:${T0}:0:c:`]);
    expect(engine.getJob('c').successCount).toBe(1);
    await engine.startManual('b', undefined);
    await runOnce(engine, driver);
    expect(await runOnce(engine, driver)).toEqual([]);
    await engine.markSuccess('a');
    expect(await runOnce(engine, driver)).toHaveLength(1);
    expect(engine.getJob('c').successCount).toBe(2);
    await engine.stop();
  });

  it('after a crash mid-launch it reconciles first and never launches an occurrence twice', async () => {
    const clock = new FakeClock(T0);
    const store = new MemoryStore();
    const a = await engineOn(store, clock);
    await a.engine.putJob(body({ name: 'once', command: 'sleep 5', schedule: `R/${iso(T0)}/PT1H` }));
    await a.engine.putJob(body({ name: 'lost', command: 'true', schedule: `R/${iso(T0)}/PT1H` }));
    await a.engine.onOffers([offer(), offer()]);
    expect(a.driver.launched).toHaveLength(2);
    // kill -9: no stop(), a new engine on the same store.
    const b = await engineOn(store, clock);
    expect(b.engine.reconcilingCount).toBe(2);
    expect(b.driver.reconciled[0]?.map((t) => t.taskId).sort()).toEqual([`ct:${T0}:0:lost:`, `ct:${T0}:0:once:`]);
    await b.engine.onOffers([offer()]);
    expect(b.driver.launched).toEqual([]);
    expect(b.driver.declined).toHaveLength(1);
    // Unanswered entries are asked again until answered.
    await clock.advance(5000);
    expect(b.driver.reconciled).toHaveLength(2);
    await b.engine.onUpdate(status(`ct:${T0}:0:once:`, 'TASK_RUNNING', { reason: 'REASON_RECONCILIATION' }));
    // The master never saw the other launch: it is launched (once) now, for the same occurrence.
    await b.engine.onUpdate(status(`ct:${T0}:0:lost:`, 'TASK_LOST', { reason: 'REASON_RECONCILIATION' }));
    expect(b.engine.reconcilingCount).toBe(0);
    await b.engine.onOffers([offer(), offer()]);
    expect(b.driver.launched.map((t) => t.task_id.value)).toEqual([`ct:${T0}:0:lost:`]);
    await clock.advance(10_000);
    expect(b.driver.reconciled).toHaveLength(2);
    await b.engine.onUpdate(status(`ct:${T0}:0:once:`, 'TASK_FINISHED'));
    expect(b.engine.getJob('once').successCount).toBe(1);
    expect(b.engine.getJob('lost').errorCount).toBe(0);
    await a.engine.stop();
    await b.engine.stop();
  });

  it('with epsilon, occurrences missed while down are recorded as MISSED and the latest runs', async () => {
    const clock = new FakeClock(T0);
    const store = new MemoryStore();
    const a = await engineOn(store, clock);
    await a.engine.putJob(body({ name: 'eps', command: 'true', schedule: `R/${iso(T0 + 60_000)}/PT1M`, epsilon: 'PT30S' }));
    await a.engine.stop();
    await clock.advance(5 * 60_000 + 10_000);
    const b = await engineOn(store, clock);
    const runs = b.engine.runs('eps');
    expect(runs.filter((r) => r.status === 'MISSED').map((r) => r.occurrence)).toEqual([T0 + 240_000, T0 + 180_000, T0 + 120_000, T0 + 60_000]);
    expect(await runOnce(b.engine, b.driver)).toEqual([`ct:${T0 + 300_000}:0:eps:`]);
    // A queued run that cannot start within epsilon is missed too.
    await clock.advance(60_000);
    await clock.advance(31_000);
    expect(b.engine.runs('eps')[0]).toMatchObject({ status: 'MISSED', occurrence: T0 + 360_000 });
    await b.engine.stop();
  });

  it('keeps the newest 50 terminal runs per job in the store and prunes older ones', async () => {
    const clock = new FakeClock(T0);
    const store = new MemoryStore();
    const { engine, driver } = await engineOn(store, clock);
    await engine.putJob(body({ name: 'often', command: 'true', schedule: `R/${iso(T0)}/PT1S` }));
    for (let i = 0; i < 60; i++) {
      expect(await runOnce(engine, driver)).toHaveLength(1);
      await clock.advance(1000);
    }
    const keys = await store.list('jobs/run/often/');
    // 50 terminal runs, the current one and the next occurrence (taken a second ahead: ADR 0045).
    expect(keys.length).toBeLessThanOrEqual(52);
    expect(engine.runs('often').filter((r) => r.status === 'SUCCESS')).toHaveLength(50);
    expect(engine.getJob('often').successCount).toBe(60);
    await engine.stop();
  });
});


describe('acceptance schedules through the engine', () => {
  it('fall-back: a daily 02:30 Europe/Berlin job runs once on the day 02:30 happens twice', async () => {
    const start = Date.parse('2027-10-29T12:00:00Z');
    const clock = new FakeClock(start);
    const { engine, driver } = await engineOn(new MemoryStore(), clock);
    await engine.putJob(body({ name: 'b', command: 'true', schedule: 'R/2027-10-30T02:30:00/P1D', scheduleTimeZone: 'Europe/Berlin' }, 'scheduled', start));
    const ran: string[] = [];
    for (let q = 0; q < 3 * 24 * 4; q++) {
      await clock.advance(900_000);
      for (const id of await runOnce(engine, driver)) ran.push(iso(Number(id.split(':')[1])));
    }
    expect(ran).toEqual(['2027-10-30T00:30:00.000Z', '2027-10-31T00:30:00.000Z', '2027-11-01T01:30:00.000Z']);
    await engine.stop();
  });

  it('a run waiting for offers absorbs later occurrences instead of building a backlog', async () => {
    const clock = new FakeClock(T0);
    const { engine, driver } = await engineOn(new MemoryStore(), clock);
    await engine.putJob(body({ name: 'w', command: 'true', schedule: `R5/${iso(T0)}/PT1M` }));
    await clock.advance(3 * 60_000);
    expect(engine.runs('w').filter((r) => r.status === 'QUEUED')).toMatchObject([{ occurrence: T0, collapsed: 3 }]);
    expect(await runOnce(engine, driver)).toEqual([`ct:${T0}:0:w:`]);
    expect(engine.getJob('w').schedule).toBe(`R4/${iso(T0 + 4 * 60_000)}/PT1M`);
    await engine.stop();
  });

  it('spring-forward: 02:30 runs at 03:30 on 28 March only, then 02:30 again', async () => {
    const start = Date.parse('2027-03-26T00:00:00Z');
    const clock = new FakeClock(start);
    const { engine, driver } = await engineOn(new MemoryStore(), clock);
    await engine.putJob(body({ name: 'b', command: 'true', schedule: 'R/2027-03-26T02:30:00/P1D', scheduleTimeZone: 'Europe/Berlin' }, 'scheduled', start));
    const ran: string[] = [];
    for (let h = 0; h < 4 * 24; h++) {
      await clock.advance(3_600_000);
      for (const id of await runOnce(engine, driver)) ran.push(iso(Number(id.split(':')[1])));
    }
    expect(ran).toEqual(['2027-03-26T01:30:00.000Z', '2027-03-27T01:30:00.000Z', '2027-03-28T01:30:00.000Z', '2027-03-29T00:30:00.000Z']);
    await engine.stop();
  });

  it('R0 never runs; R with an empty start runs every period', async () => {
    const clock = new FakeClock(T0);
    const { engine, driver } = await engineOn(new MemoryStore(), clock);
    await engine.putJob(body({ name: 'never', command: 'true', schedule: `R0/${iso(T0)}/PT1S` }));
    await engine.putJob(body({ name: 'ever', command: 'true', schedule: 'R//PT1S' }));
    const ran: string[] = [];
    for (let i = 0; i < 30; i++) {
      ran.push(...(await runOnce(engine, driver)));
      await clock.advance(1000);
    }
    expect(ran.filter((id) => id.includes(':never:'))).toEqual([]);
    expect(ran.filter((id) => id.includes(':ever:'))).toHaveLength(30);
    expect(engine.getJob('ever').schedule).toBe(`R/${iso(T0 + 31_000)}/PT1S`);
    await engine.stop();
  });
});

describe('disabled jobs', () => {
  it('are not scheduled, but a manual start still runs', async () => {
    const clock = new FakeClock(T0);
    const { engine, driver } = await engineOn(new MemoryStore(), clock);
    await engine.putJob(body({ name: 'off', command: 'true', schedule: `R/${iso(T0)}/PT1S`, disabled: 'true' }));
    await clock.advance(5000);
    expect(await runOnce(engine, driver)).toEqual([]);
    expect(driver.interest.at(-1)).toBe('suppress');
    await engine.startManual('off', undefined);
    expect(await runOnce(engine, driver)).toEqual([`ct:${T0 + 5000}:0:off:`]);
    expect(engine.getJob('off')).toMatchObject({ successCount: 1, schedule: `R/${iso(T0)}/PT1S` });
    await engine.stop();
  });
});

describe('launches refused by the master', () => {
  it('a launch on a rescinded offer (REASON_INVALID_OFFERS) is retried for the same attempt, not counted as a failure', async () => {
    const clock = new FakeClock(T0);
    const { engine, driver } = await engineOn(new MemoryStore(), clock);
    await engine.putJob(body({ name: 'r', command: 'true', schedule: `R1/${iso(T0)}/PT1H`, retries: 0 }));
    await engine.onOffers([offer()]);
    const id = driver.launched[0]?.task_id.value ?? '';
    await engine.onUpdate(status(id, 'TASK_LOST', { reason: 'REASON_INVALID_OFFERS' }));
    await engine.onOffers([offer()]);
    expect(driver.launched.map((t) => t.task_id.value)).toEqual([id, id]);
    await engine.onUpdate(status(id, 'TASK_FINISHED'));
    expect(engine.getJob('r')).toMatchObject({ successCount: 1, errorCount: 0 });
    await engine.stop();
  });
});

describe('failure accounting', () => {
  it('--disable_after_failures disables a job after N final failures since its last success', async () => {
    const { jobAfterFinalFailure, jobAfterSuccess } = await import('../../../src/jobs/engine/outcomes.js');
    const j = body({ name: 'f', command: 'false' });
    const once = jobAfterFinalFailure(j, T0, 2);
    expect(once).toMatchObject({ errorCount: 1, errorsSinceLastSuccess: 1, disabled: false, lastError: iso(T0) });
    expect(jobAfterFinalFailure(once, T0, 2).disabled).toBe(true);
    expect(jobAfterFinalFailure(jobAfterSuccess(once, T0), T0, 2).disabled).toBe(false);
    expect(jobAfterFinalFailure(jobAfterFinalFailure(once, T0, 0), T0, 0).disabled).toBe(false);
  });
});

describe('planLaunches', () => {
  it('packs tasks into an offer until it is full and keeps non-concurrent jobs to one task', async () => {
    const { planLaunches } = await import('../../../src/jobs/engine/task-builder.js');
    const jobs = new Map(['a', 'b', 'c', 'd', 'e'].map((n) => [n, body({ name: n, command: 'true', schedule: 'R//PT1H', cpus: 1.5, mem: 32, disk: 1 })]));
    const runs = ['a', 'b', 'c', 'd', 'e', 'a'].map((n, i) => ({ id: `r${i}`, job: n, trigger: 'manual' as const, dueAt: T0 + i, createdAt: T0, status: 'QUEUED' as const, attempt: 0, arguments: '', attempts: [] }));
    const plan = planLaunches(runs, [offer(), offer('a2')], (n) => jobs.get(n), () => false, '*');
    // Each offer has 4 cpus: two 1.5-cpu tasks fit in each; the second run of `a` waits (not concurrent).
    expect(plan.map((p) => `${p.run.job}@${p.offer.agent_id.value}`)).toEqual(['a@a1', 'b@a1', 'c@a2', 'd@a2']);
  });
});
