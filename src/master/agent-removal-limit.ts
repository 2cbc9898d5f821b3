/**
 * `--agent_removal_rate_limit` (upstream `--agent_removal_rate_limit`, spec §6.8): the rate at which agents
 * may be marked unreachable, as `<count>/<duration>` (e.g. `1/10mins`: one agent every ten minutes). Unset
 * means no limit. As upstream's libprocess RateLimiter, permits are spaced `duration / count` apart: the
 * first comes at once, later ones queue in FIFO order. A queued marking whose agent came back before its
 * turn (re-registered, or answered a ping) is cancelled without using a permit
 * (`master/slave_unreachable_canceled`); ADR 0042.
 */
import type { Clock, Timer } from '../core/clock.js';
import { parseDuration } from '../core/duration.js';
import { invalid } from '../core/errors.js';

/** A parsed `<count>/<duration>` rate. */
export interface RemovalRate {
  readonly permits: number;
  readonly durationMs: number;
}

/** Parses `<count>/<duration>` (e.g. `1/10mins`, `5/1secs`); throws an invalid-flag error otherwise. */
export function parseRemovalRate(text: string): RemovalRate {
  const m = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(text);
  const fail = (why: string): never => {
    throw invalid(`Invalid agent_removal_rate_limit '${text}': ${why} (expected <count>/<duration>, e.g. 1/10mins)`);
  };
  if (m === null) return fail('bad format');
  const permits = Number(m[1]);
  if (!Number.isSafeInteger(permits) || permits <= 0) return fail('count must be a positive integer');
  let durationMs: number;
  try {
    durationMs = parseDuration(m[2] ?? '');
  } catch {
    return fail('bad duration');
  }
  if (!(durationMs > 0)) return fail('duration must be positive');
  return { permits, durationMs };
}

/** One queued marking: `due()` says whether it is still wanted when its turn comes. */
export interface RemovalRequest {
  readonly due: () => boolean;
  readonly run: () => void;
  /** Called instead of run when the request is cancelled or no longer due. */
  readonly canceled: () => void;
}

/** Handle of a queued request. */
export interface RemovalTicket {
  /** Cancels the request if still queued (its `canceled` runs, no permit is used); false if already run. */
  cancel(): boolean;
}

/**
 * FIFO permit queue at `permits / durationMs`. Guarantees: requests run in the order acquired, at most one
 * per interval (`durationMs / permits`), the first at once when the limiter has been idle for an interval;
 * cancelled or no-longer-due requests do not consume a permit. `stop()` cancels its timer and drops the queue.
 */
export class RemovalRateLimiter {
  private readonly intervalMs: number;
  private readonly queue: { req: RemovalRequest; done: boolean }[] = [];
  private lastGrant: number | undefined;
  private timer: Timer | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    rate: RemovalRate,
  ) {
    this.intervalMs = rate.durationMs / rate.permits;
  }

  /** Requests queued and not yet run or cancelled. */
  get pending(): number {
    return this.queue.filter((e) => !e.done).length;
  }

  /** Queues a request; it runs now if a permit is available. */
  acquire(req: RemovalRequest): RemovalTicket {
    const entry = { req, done: false };
    this.queue.push(entry);
    this.pump();
    return {
      cancel: () => {
        if (entry.done) return false;
        entry.done = true;
        entry.req.canceled();
        return true;
      },
    };
  }

  /** Drops every queued request (without callbacks) and cancels the timer: the master is stopping. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    for (const e of this.queue) e.done = true;
    this.queue.length = 0;
  }

  private pump(): void {
    if (this.stopped || this.timer !== undefined) return;
    for (;;) {
      const head = this.queue[0];
      if (head === undefined) return;
      if (head.done) {
        this.queue.shift();
        continue;
      }
      if (!head.req.due()) {
        this.queue.shift();
        head.done = true;
        head.req.canceled();
        continue;
      }
      const now = this.clock.now();
      const wait = this.lastGrant === undefined ? 0 : this.lastGrant + this.intervalMs - now;
      if (wait > 0) {
        this.timer = this.clock.after(wait, () => {
          this.timer = undefined;
          this.pump();
        });
        return;
      }
      this.queue.shift();
      head.done = true;
      this.lastGrant = now;
      head.req.run();
    }
  }
}
