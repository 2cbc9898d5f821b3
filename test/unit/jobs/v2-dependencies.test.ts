// /v2 `dependencies` (spec §8.2, §8.4): validated at write time (422 / 409), run on the engine's dependent-job rule.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/log.js';
import { MemoryStore } from '../../../src/coordination/index.js';
import { JobEngine } from '../../../src/jobs/engine/job-engine.js';
import { V2Service } from '../../../src/jobs/v2/service.js';
import { parseJobSpec, parseScheduleSpec, V2Error } from '../../../src/jobs/v2/spec.js';
import { FakeDriver, offer, status } from './fake-driver.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');

async function v2Error(p: Promise<unknown> | (() => unknown)): Promise<{ status: number; body: unknown }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e: unknown) {
    if (e instanceof V2Error) return { status: e.status, body: e.body() };
    throw e;
  }
  throw new Error('expected a V2Error');
}

describe('/v2 dependencies', () => {
  it('validates dependencies, refuses deleting a dependency, and runs the child once after all its parents succeed', async () => {
    const clock = new FakeClock(T0);
    const engine = new JobEngine({ store: new MemoryStore(), clock, logger: silentLogger(), failureRetryMs: 1000 });
    await engine.load();
    const driver = new FakeDriver();
    engine.attach(driver);
    await engine.onSubscribed('fw');
    const svc = new V2Service(engine, 'root');
    const spec = (o: object): ReturnType<typeof parseJobSpec> => parseJobSpec({ run: { cmd: 'true', cpus: 0.1 }, ...o });

    expect(await v2Error(() => spec({ id: 'x', dependencies: [{ id: 'x' }, { id: 'Bad' }] }))).toMatchObject({
      status: 422,
      body: { details: [{ path: '/dependencies(0)/id', errors: ['a job cannot depend on itself'] }, { path: '/dependencies(1)/id' }] },
    });
    expect(await v2Error(() => spec({ id: 'y', dependencies: [{ id: 'a' }], schedules: [{ id: 's', cron: '* * * * *' }] }))).toMatchObject({
      status: 422,
      body: { details: [{ path: '/dependencies', errors: ['schedules and dependencies are mutually exclusive'] }] },
    });
    expect(await v2Error(svc.create(spec({ id: 'c', dependencies: [{ id: 'a' }] }).job))).toMatchObject({ status: 422, body: { details: [{ path: '/dependencies' }] } });
    expect(engine.record('c')).toBeUndefined();
    await svc.create(spec({ id: 'a' }).job);
    await svc.create(spec({ id: 'b' }).job);
    await svc.create(spec({ id: 'c', dependencies: [{ id: 'a' }, { id: 'b' }] }).job);
    expect(engine.getJob('c').parents).toEqual(['a', 'b']);
    // A cycle (a → c → a) is refused, nothing changes.
    expect(await v2Error(svc.replace(spec({ id: 'a', dependencies: [{ id: 'c' }] }).job))).toMatchObject({ status: 422 });
    expect(engine.getJob('a').parents).toBeUndefined();
    expect(await v2Error(svc.remove('a', false))).toMatchObject({ status: 409, body: { message: "Job 'a' is a dependency of c" } });
    expect(await v2Error(svc.putSchedule('c', parseScheduleSpec({ id: 's', cron: '* * * * *' }), 'create'))).toMatchObject({ status: 409 });

    const finish = async (): Promise<string[]> => {
      await engine.onOffers([offer()]);
      const ids = driver.launched.slice(driver.handled).map((t) => t.task_id.value);
      driver.handled = driver.launched.length;
      for (const id of ids) await engine.onUpdate(status(id, 'TASK_FINISHED'));
      return ids.map((id) => id.split(':')[3] ?? '');
    };
    await svc.startRun('a');
    expect(await finish()).toEqual(['a']);
    expect(await finish()).toEqual([]);
    await svc.startRun('b');
    expect(await finish()).toEqual(['b']);
    expect(await finish()).toEqual(['c']);
    await svc.startRun('b');
    expect(await finish()).toEqual(['b']);
    expect(await finish()).toEqual([]);
    await engine.stop();
  });
});
