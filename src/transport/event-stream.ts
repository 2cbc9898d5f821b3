/**
 * Server side of a subscription: a long-lived chunked 200 response carrying RecordIO records, one record
 * per chunk, with periodic heartbeats. Used by the scheduler API, the agent protocol and (later) the
 * executor and operator streams.
 */
import type { ServerResponse } from 'node:http';
import type { Clock, Timer } from '../core/clock.js';
import { encodeRecord } from './recordio.js';

export interface EventStreamOptions {
  readonly clock: Clock;
  readonly heartbeatMs?: number;
  readonly heartbeat?: () => unknown;
  readonly headers?: Record<string, string>;
  readonly onClose?: () => void;
}

export class EventStream {
  private closed = false;
  private corked = false;
  private heartbeatTimer: Timer | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly opts: EventStreamOptions,
  ) {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache', ...(opts.headers ?? {}) });
    res.socket?.setNoDelay(true);
    res.socket?.setKeepAlive(true, 10_000);
    res.flushHeaders();
    const done = (): void => this.handleClose();
    res.on('close', done);
    res.on('error', done);
    if (opts.heartbeatMs !== undefined && opts.heartbeat !== undefined) {
      const beat = opts.heartbeat;
      this.heartbeatTimer = opts.clock.every(opts.heartbeatMs, () => this.send(beat()));
    }
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /**
   * Writes one record as one HTTP chunk. Records written in the same tick are corked into one syscall
   * (each still its own chunk, which is what mesos-framework's parser needs). False when the stream is gone.
   */
  send(event: unknown): boolean {
    if (this.closed) return false;
    if (!this.corked) {
      this.corked = true;
      this.res.cork();
      process.nextTick(() => {
        this.corked = false;
        this.res.uncork();
      });
    }
    this.res.write(encodeRecord(event));
    return true;
  }

  /** Ends the response; onClose runs once. */
  close(): void {
    if (this.closed) return;
    this.res.end();
    this.handleClose();
  }

  private handleClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.heartbeatTimer?.cancel();
    this.opts.onClose?.();
  }
}
