/**
 * Time for every actor. Production code takes a Clock; tests inject FakeClock and advance it.
 * This file (and rng.ts) is the only place allowed to touch the global timers.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs fn once after ms; the returned Timer cancels it. */
  after(ms: number, fn: () => void): Timer;
  /** Runs fn every ms until cancelled. */
  every(ms: number, fn: () => void): Timer;
}

/** The real clock. Timers are unref'd so that they never keep a process alive on their own. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
  after(ms: number, fn: () => void): Timer {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  }
  every(ms: number, fn: () => void): Timer {
    const t = setInterval(fn, Math.max(1, ms));
    t.unref();
    return { cancel: () => clearInterval(t) };
  }
}

/**
 * Keeps the process alive (SystemClock timers are unref'd) until the returned release function is called:
 * for a CLI command whose only pending work is waiting on the clock, e.g. a polling display.
 */
export function holdProcessOpen(): () => void {
  const t = setInterval(() => undefined, 1 << 30);
  return () => clearInterval(t);
}

/** Resolves after ms on the given clock. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      return;
    }
    const timer = clock.after(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    const onAbort = (): void => {
      timer.cancel();
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface FakeTimer {
  readonly id: number;
  due: number;
  readonly period: number | undefined;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to. `advance(ms)` fires every timer that falls due, in due-time
 * order (ties by creation order), draining microtasks between timers like libprocess's Clock::settle.
 */
export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers: FakeTimer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  after(ms: number, fn: () => void): Timer {
    return this.add(Math.max(0, ms), undefined, fn);
  }

  every(ms: number, fn: () => void): Timer {
    return this.add(Math.max(1, ms), Math.max(1, ms), fn);
  }

  /** Number of live timers; tests use it to check nothing leaked. */
  pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by ms, firing due timers in order and settling microtasks after each. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await this.drainMicrotasks();
      const next = this.nextDue();
      if (next === undefined || next.due > target) break;
      this.current = Math.max(this.current, next.due);
      this.fire(next);
    }
    this.current = target;
    await this.drainMicrotasks();
  }

  /** Fires timers due now and drains microtasks until idle. */
  async settle(): Promise<void> {
    await this.advance(0);
  }

  private add(delay: number, period: number | undefined, fn: () => void): Timer {
    const timer: FakeTimer = { id: this.seq++, due: this.current + delay, period, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  private nextDue(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (let i = this.timers.length - 1; i >= 0; i--) {
      const t = this.timers[i];
      if (t === undefined) continue;
      if (t.cancelled) {
        this.timers.splice(i, 1);
        continue;
      }
      if (best === undefined || t.due < best.due || (t.due === best.due && t.id < best.id)) best = t;
    }
    return best;
  }

  private fire(t: FakeTimer): void {
    if (t.period === undefined) {
      t.cancelled = true;
    } else {
      t.due += t.period;
    }
    t.fn();
  }

  private async drainMicrotasks(): Promise<void> {
    for (let i = 0; i < 20; i++) await Promise.resolve();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
