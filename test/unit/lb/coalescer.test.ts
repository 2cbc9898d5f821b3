import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { Coalescer } from '../../../src/lb/coalescer.js';

function setup(): { clock: FakeClock; c: Coalescer; runs: number[]; release: () => void } {
  const clock = new FakeClock();
  const runs: number[] = [];
  let release: () => void = () => undefined;
  const c = new Coalescer(clock, 200, () => {
    runs.push(clock.now());
    return new Promise<void>((r) => {
      release = r;
    });
  });
  return { clock, c, runs, release: () => release() };
}

describe('Coalescer', () => {
  it('turns a burst of requests into one run after the delay', async () => {
    const { clock, c, runs, release } = setup();
    const t0 = clock.now();
    for (let i = 0; i < 50; i++) c.request();
    await clock.advance(199);
    expect(runs).toEqual([]);
    await clock.advance(1);
    expect(runs).toEqual([t0 + 200]);
    release();
    await clock.advance(1000);
    expect(runs).toHaveLength(1);
    expect(c.completed).toBe(1);
  });

  it('runs exactly once more after requests that arrive during a run', async () => {
    const { clock, c, runs, release } = setup();
    c.request();
    await clock.advance(200);
    c.request();
    c.request();
    await clock.advance(1000);
    expect(runs).toHaveLength(1);
    release();
    await clock.settle();
    await clock.advance(200);
    expect(runs).toHaveLength(2);
    release();
    await clock.advance(1000);
    expect(runs).toHaveLength(2);
  });

  it('keeps going after a failed run and stops cleanly', async () => {
    const clock = new FakeClock();
    let n = 0;
    const c = new Coalescer(clock, 10, () => (++n === 1 ? Promise.reject(new Error('boom')) : Promise.resolve()));
    c.request();
    await clock.advance(10);
    c.request();
    await clock.advance(10);
    expect(n).toBe(2);
    c.request();
    await c.stop();
    await clock.advance(100);
    expect(n).toBe(2);
  });
});
