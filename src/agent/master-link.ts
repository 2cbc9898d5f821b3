/**
 * The agent's connection to the master: SUBSCRIBE over the agent protocol, hand each event to the
 * agent, re-subscribe with randomized exponential back-off (registration_backoff_factor doubling, at
 * most 1 min) whenever the stream ends or fails, and POST the other calls with the stream id. A 403
 * (AGENT_NOT_SUBSCRIBED) answer drops the stream so that the loop re-subscribes.
 */
import { setMaxListeners } from 'node:events';
import type { Clock } from '../core/clock.js';
import { sleep } from '../core/clock.js';
import type { Rng } from '../core/rng.js';
import type { Logger } from '../core/log.js';
import { errorMessage } from '../core/errors.js';
import { openEventStream } from '../transport/stream-client.js';
import { postJson } from '../transport/http-client.js';
import { AGENT_API_PATH, AGENT_STREAM_HEADER, type AgentCallJson, type AgentEvent } from '../api/agora/agent-protocol.js';
import { ZkMasterDetector, isZkUrl, masterHostPort, parseZkUrl } from '../coordination/index.js';

export interface MasterLinkOptions {
  /** `host:port` of the master, or `zk://host:2181,.../path` to follow the leading master through ZooKeeper. */
  readonly master: string;
  /** ZooKeeper session timeout when `master` is a zk:// URL (default 10 s). */
  readonly zkSessionTimeoutMs?: number;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly logger: Logger;
  readonly backoffMs: number;
  readonly backoffMaxMs: number;
  /** Builds the SUBSCRIBE call (called for every attempt, so it carries the current id and tasks). */
  readonly subscribeCall: () => AgentCallJson;
  readonly onEvent: (event: AgentEvent) => void;
  /** The stream closed or failed (called once per lost stream). */
  readonly onDisconnected: () => void;
}

export class MasterLink {
  private readonly stopper = new AbortController();
  private current: AbortController | undefined;
  private streamId: string | undefined;
  private loop: Promise<void> | undefined;
  private attempt = 0;
  /** With a zk:// master: follows the leader; a change of leader drops the stream so we re-subscribe to it. */
  private detector: ZkMasterDetector | undefined;

  constructor(private readonly opts: MasterLinkOptions) {
    // Every in-flight call listens on this signal; a burst of status updates is hundreds of them.
    setMaxListeners(0, this.stopper.signal);
  }

  get url(): string {
    if (!isZkUrl(this.opts.master)) return `http://${this.opts.master}${AGENT_API_PATH}`;
    const leader = this.detector?.leader;
    if (leader === undefined) throw new Error(`no leading master known in ${this.opts.master}`);
    return `http://${masterHostPort(leader)}${AGENT_API_PATH}`;
  }

  get connected(): boolean {
    return this.streamId !== undefined;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** The master acknowledged our registration: the next failure starts back-off from scratch. */
  registered(): void {
    this.attempt = 0;
  }

  /** Drops the current stream; the loop re-subscribes after back-off. */
  reconnect(): void {
    this.current?.abort(new Error('reconnect'));
  }

  /** POSTs a non-SUBSCRIBE call on the current stream. Never throws: delivery is retried by callers. */
  async post(call: AgentCallJson): Promise<boolean> {
    const streamId = this.streamId;
    if (streamId === undefined) return false;
    try {
      const res = await postJson(this.url, call, { [AGENT_STREAM_HEADER]: streamId }, this.stopper.signal);
      if (res.status === 202 || res.status === 200) return true;
      if (res.status === 403 && streamId === this.streamId) {
        this.opts.logger.warn({ status: res.status, body: res.body }, 'master does not know our stream, re-subscribing');
        this.reconnect();
      } else {
        this.opts.logger.warn({ status: res.status, body: res.body, type: call.type }, 'master refused call');
      }
    } catch (e: unknown) {
      if (!this.stopper.signal.aborted) this.opts.logger.debug({ err: errorMessage(e), type: call.type }, 'call to master failed');
    }
    return false;
  }

  /** Stops re-subscribing, closes the stream and waits for the loop to finish. */
  async stop(): Promise<void> {
    this.stopper.abort(new Error('stopped'));
    this.current?.abort(new Error('stopped'));
    await this.loop;
    await this.detector?.close();
  }

  private async follow(): Promise<void> {
    if (this.detector !== undefined || !isZkUrl(this.opts.master)) return;
    const d = await ZkMasterDetector.start(parseZkUrl(this.opts.master), { sessionTimeoutMs: this.opts.zkSessionTimeoutMs ?? 10_000, clock: this.opts.clock });
    if (this.stopper.signal.aborted) return void (await d.close());
    this.detector = d;
    d.onChange((leader) => {
      this.opts.logger.info({ leader: leader === undefined ? undefined : masterHostPort(leader) }, 'leading master changed');
      this.attempt = 0;
      this.reconnect();
    });
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      const ctl = new AbortController();
      this.current = ctl;
      const onStop = (): void => ctl.abort(new Error('stopped'));
      signal.addEventListener('abort', onStop, { once: true });
      let opened = false;
      try {
        await this.follow();
        const stream = openEventStream({
          url: this.url,
          body: this.opts.subscribeCall(),
          signal: ctl.signal,
          onHeaders: (h) => {
            const id = h[AGENT_STREAM_HEADER];
            this.streamId = typeof id === 'string' ? id : undefined;
            opened = true;
          },
        });
        for await (const ev of stream) this.opts.onEvent(ev as AgentEvent);
        if (!signal.aborted) this.opts.logger.warn('master closed the agent stream');
      } catch (e: unknown) {
        if (!signal.aborted) this.opts.logger.warn({ err: errorMessage(e), master: this.opts.master }, 'agent stream to master failed');
      } finally {
        signal.removeEventListener('abort', onStop);
        this.streamId = undefined;
        this.current = undefined;
      }
      if (opened) this.opts.onDisconnected();
      if (signal.aborted) break;
      const cap = Math.min(this.opts.backoffMaxMs, this.opts.backoffMs * Math.pow(2, this.attempt));
      this.attempt = Math.min(this.attempt + 1, 30);
      const delay = Math.round(cap * this.opts.rng.next());
      try {
        await sleep(this.opts.clock, delay, signal);
      } catch {
        break;
      }
    }
  }
}
