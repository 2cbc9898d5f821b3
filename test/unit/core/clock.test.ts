import { describe, expect, it } from 'vitest';
import { FakeClock, sleep } from '../../../src/core/clock.js';

describe('FakeClock', () => {
  it('fires timers in due order and only when advanced past them', async () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.after(30, () => fired.push('b'));
    clock.after(10, () => fired.push('a'));
    const t = clock.after(20, () => fired.push('cancelled'));
    t.cancel();
    await clock.advance(15);
    expect(fired).toEqual(['a']);
    await clock.advance(15);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.now()).toBe(30);
    expect(clock.pending()).toBe(0);
  });

  it('repeats periodic timers and settles promise chains between them', async () => {
    const clock = new FakeClock(0);
    let ticks = 0;
    const every = clock.every(100, () => ticks++);
    const done = sleep(clock, 250).then(() => 'slept');
    await clock.advance(300);
    expect(ticks).toBe(3);
    await expect(done).resolves.toBe('slept');
    every.cancel();
  });

  it('rejects a sleep when its signal aborts', async () => {
    const clock = new FakeClock(0);
    const ac = new AbortController();
    const p = sleep(clock, 1000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(clock.pending()).toBe(0);
  });
});
