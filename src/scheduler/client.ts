/**
 * SchedulerClient: a framework's connection to the master's scheduler API (spec §1.7, §2). It owns one
 * subscription at a time: SUBSCRIBE (following 307s to the leader), remembers `Mesos-Stream-Id` and the
 * framework id, delivers events in stream order (handlers are awaited one at a time, and the same events
 * feed `events()`), declares the stream dead after 5 missed heartbeats, and re-subscribes with its framework
 * id using truncated exponential back-off with jitter. An ERROR event (removed, failed over, refused) ends
 * the subscription for good and is surfaced, never retried. Calls are separate POSTs carrying the stream id.
 */
import type { FrameworkInfoJson, TaskStatusJson } from '../api/mesos/common.js';
import type { SchedulerEvent } from '../api/mesos/scheduler.js';
import { SystemClock, sleep, type Clock, type Timer } from '../core/clock.js';
import { SeededRng, randomSeed, type Rng } from '../core/rng.js';
import { backoffDelay, type BackoffPolicy } from '../core/backoff.js';
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import { openEventStream, StreamHttpError } from '../transport/stream-client.js';
import { ZkMasterDetector, isZkUrl, masterHostPort, parseZkUrl } from '../coordination/index.js';
import { subscribeCall } from './calls.js';
import { SchedulerCalls } from './scheduler-calls.js';
import { EventQueue } from './event-queue.js';
import { SubscriptionFatalError } from './errors.js';
import { dispatchEvent, type SchedulerHandlers } from './handlers.js';

/** Re-subscription back-off: 1 s, ×1.5, capped at 15 s (what mesos-framework and the Mesos docs use). */
export const DEFAULT_RESUBSCRIBE_BACKOFF: BackoffPolicy = { initialMs: 1_000, factor: 1.5, maxMs: 15_000 };
/** Upstream's heartbeat interval, assumed until SUBSCRIBED says otherwise. */
const DEFAULT_HEARTBEAT_SECONDS = 15;
/** Missed heartbeats before the stream counts as dead (spec §1.7). */
export const MISSED_HEARTBEATS = 5;
/** SUBSCRIBE answers that retrying cannot fix. */
const FATAL_SUBSCRIBE_STATUSES = new Set([400, 401, 403, 405, 406, 415, 501]);

export interface SchedulerClientOptions {
  /**
   * `host:port` or `http://host:port` of any master (redirects lead to the leader), or
   * `zk://host:2181,.../path` to follow the leading master through ZooKeeper (re-subscribing on each change).
   */
  readonly master: string;
  /** ZooKeeper session timeout with a zk:// master (default 10 s). */
  readonly zkSessionTimeoutMs?: number;
  readonly clock?: Clock;
  readonly rng?: Rng;
  readonly logger?: Logger;
  readonly backoff?: BackoffPolicy;
  /** Endpoint path; `/api/v1/scheduler` (the C++ library uses `/master/api/v1/scheduler`). */
  readonly path?: string;
}

export interface SubscribeOptions {
  readonly suppressedRoles?: readonly string[];
}

/** Normalises `host:port`, `http://host:port/` or a full URL to the scheduler endpoint URL. */
export function schedulerUrl(master: string, path = '/api/v1/scheduler'): string {
  const withScheme = /^[a-z]+:\/\//i.test(master) ? master : `http://${master}`;
  const u = new URL(withScheme);
  return `${u.protocol}//${u.host}${path}`;
}

export class SchedulerClient extends SchedulerCalls {
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly log: Logger;
  private readonly policy: BackoffPolicy;
  private subscribeUrl: string;
  private readonly master: string;
  private readonly path: string | undefined;
  private readonly zkSessionTimeoutMs: number;
  private detector: ZkMasterDetector | undefined;
  private readonly queue = new EventQueue<SchedulerEvent>();
  private readonly closeCtrl = new AbortController();
  private streamCtrl: AbortController | undefined;
  private watchdog: Timer | undefined;
  private loop: Promise<void> | undefined;
  private handlers: SchedulerHandlers = {};
  private suppressedRoles: readonly string[] | undefined;
  private dispatching = 0;
  private iterating = false;
  private heartbeatSeconds = DEFAULT_HEARTBEAT_SECONDS;
  private closing = false;
  private fatal: SubscriptionFatalError | undefined;
  private firstSubscribed: { resolve: (id: string) => void; reject: (e: Error) => void } | undefined;

  constructor(opts: SchedulerClientOptions) {
    super();
    this.clock = opts.clock ?? new SystemClock();
    this.rng = opts.rng ?? new SeededRng(randomSeed());
    this.log = opts.logger ?? silentLogger();
    this.policy = opts.backoff ?? DEFAULT_RESUBSCRIBE_BACKOFF;
    this.master = opts.master;
    this.path = opts.path;
    this.zkSessionTimeoutMs = opts.zkSessionTimeoutMs ?? 10_000;
    this.subscribeUrl = isZkUrl(opts.master) ? '' : schedulerUrl(opts.master, opts.path);
    this.callUrl = this.subscribeUrl;
    this.signal = this.closeCtrl.signal;
  }

  /** The fatal reason once the subscription ended for good (ERROR event or unrecoverable SUBSCRIBE answer). */
  get fatalError(): SubscriptionFatalError | undefined {
    return this.fatal;
  }

  /**
   * Starts the subscription loop and resolves with the framework id at the first SUBSCRIBED. Rejects with
   * SubscriptionFatalError if the master refuses the framework first, or with an Error if closed first.
   * `info.id`, when set, re-subscribes an existing framework (scheduler failover). Call once per client.
   */
  subscribe(info: FrameworkInfoJson, handlers: SchedulerHandlers = {}, opts: SubscribeOptions = {}): Promise<string> {
    if (this.loop !== undefined) return Promise.reject(new Error('subscribe() may be called once per SchedulerClient'));
    this.frameworkInfo = info;
    if (info.id?.value !== undefined && info.id.value !== '') this.frameworkId = info.id.value;
    this.handlers = handlers;
    this.suppressedRoles = opts.suppressedRoles;
    const first = new Promise<string>((resolve, reject) => {
      this.firstSubscribed = { resolve, reject };
    });
    this.loop = this.run();
    return first;
  }

  /**
   * Events in stream order (the same ones handlers see) from the first call on; ends when the client closes,
   * is torn down or fails for good. Call it before subscribe() to see every event. Events are buffered only
   * once it has been called, so a client driven by handlers alone never accumulates them.
   */
  events(): AsyncIterableIterator<SchedulerEvent> {
    this.iterating = true;
    return this.queue;
  }

  /** Resolves when the subscription loop has ended (close, teardown or fatal error), with the fatal error if any. */
  async finished(): Promise<SubscriptionFatalError | undefined> {
    await this.loop;
    return this.fatal;
  }

  /**
   * Aborts the stream, any back-off wait and in-flight calls, and cancels every timer. Does not TEARDOWN the
   * framework (call `teardown()` first for that). Awaits the loop unless called from inside a handler.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.closeCtrl.abort(new Error('scheduler client closed'));
    this.streamCtrl?.abort(new Error('scheduler client closed'));
    this.disarmWatchdog();
    if (this.dispatching === 0) await this.loop;
    this.queue.end();
    await this.detector?.close();
  }

  /** With a zk:// master: the current leader's scheduler URL (a leader change drops the stream). */
  private async leaderUrl(): Promise<string> {
    if (!isZkUrl(this.master)) return this.subscribeUrl;
    if (this.detector === undefined) {
      const d = await ZkMasterDetector.start(parseZkUrl(this.master), { sessionTimeoutMs: this.zkSessionTimeoutMs, clock: this.clock });
      if (this.closing) {
        await d.close();
        throw new Error('scheduler client closed');
      }
      this.detector = d;
      d.onChange((leader) => {
        this.log.info({ leader: leader === undefined ? undefined : masterHostPort(leader) }, 'leading master changed');
        this.streamCtrl?.abort(new Error('leading master changed'));
      });
    }
    const leader = this.detector.leader;
    if (leader === undefined) throw new Error(`no leading master known in ${this.master}`);
    return schedulerUrl(masterHostPort(leader), this.path);
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.done) {
      const outcome = await this.runOnce();
      if (outcome === 'subscribed') attempt = 0;
      if (this.done) break;
      const delay = backoffDelay(this.policy, attempt++, this.rng);
      this.log.info({ frameworkId: this.frameworkId, delayMs: delay }, 'scheduler subscription lost, re-subscribing');
      try {
        await sleep(this.clock, delay, this.closeCtrl.signal);
      } catch {
        break;
      }
    }
    this.disarmWatchdog();
    this.queue.end();
    if (this.fatal !== undefined) this.firstSubscribed?.reject(this.fatal);
    else this.firstSubscribed?.reject(new Error('scheduler client closed before SUBSCRIBED'));
    this.firstSubscribed = undefined;
  }

  /** One subscription attempt, from the SUBSCRIBE POST to the end of its stream. */
  private async runOnce(): Promise<'subscribed' | 'failed'> {
    const ctrl = new AbortController();
    this.streamCtrl = ctrl;
    let subscribed = false;
    let reason = 'stream ended';
    try {
      this.subscribeUrl = await this.leaderUrl();
      const body = subscribeCall(this.frameworkInfo ?? { user: '', name: '' }, this.frameworkId, this.suppressedRoles);
      const stream = openEventStream({
        url: this.subscribeUrl,
        body,
        signal: ctrl.signal,
        onHeaders: (headers, url) => {
          const sid = headers['mesos-stream-id'];
          this.streamId = typeof sid === 'string' ? sid : undefined;
          this.callUrl = url;
        },
      });
      this.armWatchdog(DEFAULT_HEARTBEAT_SECONDS);
      for await (const raw of stream) {
        if (!isEvent(raw)) continue;
        const event = raw;
        if (event.type === 'SUBSCRIBED') {
          subscribed = true;
          this.frameworkId = event.subscribed.framework_id.value;
          this.armWatchdog(event.subscribed.heartbeat_interval_seconds || DEFAULT_HEARTBEAT_SECONDS);
          this.log.info({ frameworkId: this.frameworkId, streamId: this.streamId }, 'scheduler subscribed');
        } else {
          this.armWatchdog(this.heartbeatSeconds);
        }
        if (event.type === 'ERROR') this.fatal = new SubscriptionFatalError(event.error.message);
        await this.deliver(event);
        if (event.type === 'SUBSCRIBED') {
          this.firstSubscribed?.resolve(event.subscribed.framework_id.value);
          this.firstSubscribed = undefined;
        }
        if (this.fatal !== undefined) break;
      }
    } catch (e: unknown) {
      reason = errorMessage(e);
      if (e instanceof StreamHttpError && FATAL_SUBSCRIBE_STATUSES.has(e.status)) {
        this.fatal = new SubscriptionFatalError(`SUBSCRIBE refused: ${e.status} ${e.body.trim()}`, e.status);
      }
    } finally {
      ctrl.abort();
      this.streamId = undefined;
      this.disarmWatchdog();
    }
    if (this.fatal !== undefined) {
      this.log.warn({ frameworkId: this.frameworkId, err: this.fatal.message }, 'scheduler subscription failed for good');
    } else if (!this.done) {
      await this.call(() => this.handlers.onDisconnected?.(reason));
    }
    return subscribed ? 'subscribed' : 'failed';
  }

  /** Closed, failed for good, or torn down: nothing left to re-subscribe to. */
  private get done(): boolean {
    return this.closing || this.fatal !== undefined || this.tearingDown;
  }

  private armWatchdog(heartbeatSeconds: number): void {
    this.heartbeatSeconds = heartbeatSeconds;
    this.watchdog?.cancel();
    const ctrl = this.streamCtrl;
    this.watchdog = this.clock.after(heartbeatSeconds * 1000 * MISSED_HEARTBEATS, () => {
      this.log.warn({ frameworkId: this.frameworkId }, 'missed heartbeats, closing the scheduler stream');
      ctrl?.abort(new Error(`no event for ${MISSED_HEARTBEATS} heartbeat intervals`));
    });
  }

  private disarmWatchdog(): void {
    this.watchdog?.cancel();
    this.watchdog = undefined;
  }

  private async deliver(event: SchedulerEvent): Promise<void> {
    if (this.iterating) this.queue.push(event);
    await this.call(() => dispatchEvent(this.handlers, event));
  }

  /** Runs a handler; a throwing handler is logged, never allowed to break the subscription. */
  private async call(fn: () => unknown): Promise<void> {
    this.dispatching++;
    try {
      await fn();
    } catch (e: unknown) {
      this.log.error({ err: errorMessage(e), frameworkId: this.frameworkId }, 'scheduler event handler threw');
    } finally {
      this.dispatching--;
    }
  }
}

function isEvent(raw: unknown): raw is SchedulerEvent {
  return typeof raw === 'object' && raw !== null && typeof (raw as { type?: unknown }).type === 'string';
}

export type { SchedulerHandlers, TaskStatusJson };
