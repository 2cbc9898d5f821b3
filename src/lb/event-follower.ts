/**
 * Follows the apps daemon's SSE stream (`GET /v2/events`, spec marathon-api §2.6) and calls `onChange` for
 * every event that can change the load balancer (task status, health, app definition, deployments) and on
 * every (re)connection, since events may have been missed while disconnected. Reconnects with capped
 * exponential backoff; a stream silent for `idleTimeoutMs` (the server sends a heartbeat every 10 s) is
 * treated as dead.
 */
import type { Logger } from 'pino';
import { sleep, type Clock, type Timer } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { appsUrlNow, type AppsUrl } from './apps-locator.js';

/** Event types that trigger a resync (subscribed with `event_type=`). */
export const RELEVANT_EVENTS: readonly string[] = [
  'status_update_event',
  'health_status_changed_event',
  'instance_health_changed_event',
  'api_post_event',
  'app_terminated_event',
  'deployment_info',
  'deployment_step_success',
  'deployment_success',
  'deployment_failed',
];

/** The `eventType`s of the `data:` lines in an SSE text chunk (whole lines only; see SseLineBuffer). */
export function eventTypesOf(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if (!line.startsWith('data:')) continue;
    try {
      const v = JSON.parse(line.slice(5).trim()) as { eventType?: unknown };
      if (typeof v.eventType === 'string') out.push(v.eventType);
    } catch {
      // not JSON: ignored, as marathon-lb does
    }
  }
  return out;
}

/** Splits a byte stream's text into complete lines (CRLF or LF), keeping a partial tail for the next chunk. */
export class SseLineBuffer {
  private tail = '';

  push(text: string): string[] {
    const parts = (this.tail + text).split(/\r?\n/);
    this.tail = parts.pop() ?? '';
    return parts;
  }
}

export interface EventFollowerOptions {
  /** Fixed, or looked up on each connection (apps-locator.ts). */
  readonly appsUrl: AppsUrl;
  readonly onChange: (reason: string) => void;
  readonly onConnected?: (connected: boolean) => void;
  readonly idleTimeoutMs?: number;
  readonly maxBackoffMs?: number;
}

/** Follows the stream until stop(). */
export class EventFollower {
  private readonly abort = new AbortController();
  private done: Promise<void> = Promise.resolve();
  private current: AbortController | undefined;

  constructor(
    private readonly o: EventFollowerOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    let backoff = 500;
    while (!this.abort.signal.aborted) {
      const started = this.clock.now();
      try {
        await this.follow();
      } catch (e: unknown) {
        if (this.abort.signal.aborted) return;
        this.logger.warn({ err: errorMessage(e) }, 'apps event stream failed; reconnecting');
      }
      this.o.onConnected?.(false);
      if (this.clock.now() - started > 60_000) backoff = 500;
      try {
        await sleep(this.clock, backoff, this.abort.signal);
      } catch {
        return;
      }
      backoff = Math.min(backoff * 2, this.o.maxBackoffMs ?? 10_000);
    }
  }

  private async follow(): Promise<void> {
    const ac = new AbortController();
    this.current = ac;
    const onStop = (): void => ac.abort();
    this.abort.signal.addEventListener('abort', onStop, { once: true });
    let idle: Timer | undefined;
    const arm = (): void => {
      idle?.cancel();
      idle = this.clock.after(this.o.idleTimeoutMs ?? 60_000, () => ac.abort(new Error('event stream idle')));
    };
    try {
      const query = RELEVANT_EVENTS.map((t) => `event_type=${t}`).join('&');
      arm();
      const appsUrl = appsUrlNow(this.o.appsUrl);
      const res = await fetch(`${appsUrl}/v2/events?plan-format=light&${query}`, { headers: { accept: 'text/event-stream', 'user-agent': 'agora-lb' }, signal: ac.signal });
      if (res.status !== 200 || res.body === null) throw new Error(`GET /v2/events answered ${res.status}`);
      this.logger.info({ appsUrl }, 'following the apps event stream');
      this.o.onConnected?.(true);
      this.o.onChange('connected');
      const lines = new SseLineBuffer();
      const decoder = new TextDecoder();
      for await (const chunk of res.body) {
        arm();
        for (const type of eventTypesOf(lines.push(decoder.decode(chunk as Uint8Array, { stream: true })))) {
          if (RELEVANT_EVENTS.includes(type)) this.o.onChange(type);
        }
      }
      throw new Error('the apps event stream ended');
    } finally {
      idle?.cancel();
      this.abort.signal.removeEventListener('abort', onStop);
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.current?.abort();
    await this.done;
  }
}
