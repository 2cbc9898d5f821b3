/**
 * Coalesces resync requests: the first request schedules one run after `delayMs`; requests until then join
 * it; requests during a run schedule exactly one follow-up run (after `delayMs` again). So a burst of events
 * costs one resync, and no event is lost: every request is followed by a run that started after it.
 */
import type { Clock, Timer } from '../core/clock.js';

export class Coalescer {
  private timer: Timer | undefined;
  private running = false;
  private dirty = false;
  private stopped = false;
  private idle: Promise<void> = Promise.resolve();
  private runs = 0;

  constructor(
    private readonly clock: Clock,
    private readonly delayMs: number,
    private readonly run: () => Promise<void>,
  ) {}

  /** Asks for a run; never more than one pending. */
  request(): void {
    if (this.stopped) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.timer ??= this.clock.after(this.delayMs, () => {
      this.timer = undefined;
      this.idle = this.execute();
    });
  }

  /** Runs completed so far. */
  get completed(): number {
    return this.runs;
  }

  private async execute(): Promise<void> {
    this.running = true;
    this.dirty = false;
    try {
      await this.run();
    } catch {
      // The run reports its own errors; a failed run is retried by the next request or periodic resync.
    } finally {
      this.runs++;
      this.running = false;
      if (this.dirty) this.request();
    }
  }

  /** No more runs; waits for the current one. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.idle.catch(() => undefined);
  }
}
