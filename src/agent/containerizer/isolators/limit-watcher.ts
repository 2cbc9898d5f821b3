/**
 * Shared polling behind `Isolator.watch`: one timer per isolator (running only while something is
 * watched) asks `check(id)` for every watched container and settles its promise on the first
 * limitation. Polling keeps the agent free of per-container file descriptors (eventfd/inotify) and
 * costs one small read per container per interval.
 */
import type { Clock, Timer } from '../../../core/clock.js';
import type { Limitation } from './isolator.js';

export class LimitWatcher {
  private readonly watched = new Map<string, (l: Limitation) => void>();
  private timer: Timer | undefined;
  private polling = false;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly check: (id: string) => Promise<Limitation | undefined>,
  ) {}

  /** Settles only when `check` reports a limitation; never rejects. */
  watch(id: string): Promise<Limitation> {
    return new Promise<Limitation>((resolve) => {
      this.watched.set(id, resolve);
      this.timer ??= this.clock.every(this.intervalMs, () => void this.poll());
    });
  }

  /** Stops watching a container (its promise then never settles). */
  forget(id: string): void {
    this.watched.delete(id);
    if (this.watched.size === 0) this.stop();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const [id, resolve] of [...this.watched]) {
        const l = await this.check(id).catch(() => undefined);
        if (l !== undefined && this.watched.get(id) === resolve) {
          this.watched.delete(id);
          resolve(l);
        }
      }
    } finally {
      this.polling = false;
    }
  }
}
