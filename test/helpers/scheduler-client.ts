/**
 * A raw-HTTP Mesos v1 scheduler for wire-level tests: SUBSCRIBE over node:http on its own connection,
 * every HTTP chunk (Node 'data' event) kept with its arrival time and checked for the one-record-per-chunk
 * framing mesos-framework relies on, events decoded by byte count independently of chunking, and calls
 * POSTed on fresh connections with the stream id.
 */
import { Agent, request, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { postJson, type RawResponse } from './http.js';
import type { SchedEvent, WireOffer, WireStatus } from './mesos.js';
import { waitFor, type WaitOptions } from './wait.js';

export interface Chunk {
  readonly at: number;
  readonly bytes: Buffer;
}

export interface SubscribeOptions {
  /** Path on the master, default `/api/v1/scheduler`. */
  readonly path?: string;
  /** Extra request headers; by default only `Content-Type: application/json` (no Accept, like mesos-framework). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Acknowledge every UPDATE carrying a uuid as soon as it arrives. */
  readonly autoAck?: boolean;
  /** Raw body text instead of JSON.stringify(call). */
  readonly rawBody?: string;
}

/** Checks one chunk against the mesos-framework parser's assumption: exactly one whole `<len>\n<json>` record. */
export function framingProblem(chunk: Buffer): string | undefined {
  const nl = chunk.indexOf(0x0a);
  if (nl === -1) return `chunk without a length prefix: ${JSON.stringify(chunk.toString('utf8').slice(0, 80))}`;
  const prefix = chunk.subarray(0, nl).toString('ascii');
  if (!/^\d+$/.test(prefix)) return `bad length prefix ${JSON.stringify(prefix)}`;
  const payload = chunk.subarray(nl + 1);
  if (payload.length !== Number(prefix)) return `chunk holds ${payload.length} payload bytes, prefix says ${prefix}: ${JSON.stringify(chunk.toString('utf8').slice(0, 120))}`;
  const text = payload.toString('utf8');
  if (text.includes('\n')) return 'payload contains a literal newline';
  if (text.length !== payload.length) return 'payload has non-ASCII bytes (byte length ≠ string length)';
  return undefined;
}

/** One SUBSCRIBE connection and everything observed on it. */
export class Subscription {
  readonly chunks: Chunk[] = [];
  readonly events: SchedEvent[] = [];
  readonly eventTimes: number[] = [];
  readonly framingErrors: string[] = [];
  readonly decodeErrors: string[] = [];
  /** Statuses of the ACKNOWLEDGE calls sent by autoAck. */
  readonly ackResults: Array<{ uuid: string; status: number; body: string }> = [];
  readonly offers: WireOffer[] = [];
  private readonly used = new Set<string>();
  private readonly rescinded = new Set<string>();
  private buffer: Buffer = Buffer.alloc(0);
  private ended = false;
  private bodyText = '';
  /** Calls go over a small keep-alive pool, separate from the subscription connection (as clients do). */
  private readonly callAgent = new Agent({ keepAlive: true, maxSockets: 8 });

  constructor(
    readonly masterUrl: string,
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    private readonly req: ClientRequest,
    private readonly autoAck: boolean,
  ) {}

  /** Mesos-Stream-Id response header ('' when absent). */
  get streamId(): string {
    const v = this.headers['mesos-stream-id'];
    return typeof v === 'string' ? v : '';
  }

  /** Framework id from the SUBSCRIBED event ('' before it). */
  get frameworkId(): string {
    return this.events.find((e) => e.type === 'SUBSCRIBED')?.subscribed?.framework_id.value ?? '';
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Response body as text (only meaningful for non-200 answers). */
  get body(): string {
    return this.bodyText;
  }

  /** @internal wiring of the response stream. */
  attach(res: IncomingMessage): void {
    res.on('data', (d: Buffer) => {
      this.chunks.push({ at: Date.now(), bytes: d });
      if (this.status !== 200) {
        this.bodyText += d.toString('utf8');
        return;
      }
      const problem = framingProblem(d);
      if (problem !== undefined) this.framingErrors.push(problem);
      this.decode(d);
    });
    const end = (): void => {
      this.ended = true;
    };
    res.on('end', end);
    res.on('close', end);
    res.on('error', end);
  }

  private decode(d: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, d]);
    for (;;) {
      const nl = this.buffer.indexOf(0x0a);
      if (nl === -1) return;
      const n = Number(this.buffer.subarray(0, nl).toString('ascii'));
      if (!Number.isInteger(n) || n <= 0) {
        this.decodeErrors.push(`bad prefix ${JSON.stringify(this.buffer.subarray(0, nl).toString())}`);
        this.buffer = Buffer.alloc(0);
        return;
      }
      if (this.buffer.length < nl + 1 + n) return;
      const payload = this.buffer.subarray(nl + 1, nl + 1 + n).toString('utf8');
      this.buffer = this.buffer.subarray(nl + 1 + n);
      try {
        this.onEvent(JSON.parse(payload) as SchedEvent);
      } catch (e: unknown) {
        this.decodeErrors.push(`bad JSON record: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  private onEvent(e: SchedEvent): void {
    this.events.push(e);
    this.eventTimes.push(Date.now());
    if (e.type === 'OFFERS') this.offers.push(...(e.offers?.offers ?? []));
    if (e.type === 'RESCIND' && e.rescind !== undefined) this.rescinded.add(e.rescind.offer_id.value);
    const status = e.update?.status;
    if (this.autoAck && e.type === 'UPDATE' && status?.uuid !== undefined) {
      const uuid = status.uuid;
      void this.ack(status).then(
        (r) => this.ackResults.push({ uuid, status: r.status, body: r.body }),
        (err: unknown) => this.ackResults.push({ uuid, status: -1, body: String(err) }),
      );
    }
  }

  /** POSTs a call with this stream's id (header name as given, default `Mesos-Stream-Id`). */
  call(body: unknown, opts: { headerName?: string; path?: string } = {}): Promise<RawResponse> {
    return postJson(`${this.masterUrl}${opts.path ?? '/api/v1/scheduler'}`, body, { [opts.headerName ?? 'Mesos-Stream-Id']: this.streamId }, this.callAgent);
  }

  private fid(): { value: string } {
    return { value: this.frameworkId };
  }

  accept(offerIds: readonly string[], taskInfos: readonly unknown[], filters?: { refuse_seconds: number }): Promise<RawResponse> {
    const accept: Record<string, unknown> = { offer_ids: offerIds.map((value) => ({ value })), operations: [{ type: 'LAUNCH', launch: { task_infos: taskInfos } }] };
    if (filters !== undefined) accept.filters = filters;
    return this.call({ framework_id: this.fid(), type: 'ACCEPT', accept });
  }

  decline(offerIds: readonly string[], refuseSeconds?: number): Promise<RawResponse> {
    const decline: Record<string, unknown> = { offer_ids: offerIds.map((value) => ({ value })) };
    if (refuseSeconds !== undefined) decline.filters = { refuse_seconds: refuseSeconds };
    return this.call({ framework_id: this.fid(), type: 'DECLINE', decline });
  }

  ack(status: WireStatus): Promise<RawResponse> {
    return this.call({ framework_id: this.fid(), type: 'ACKNOWLEDGE', acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid } });
  }

  kill(taskId: string, agentId?: string, killGraceSecs?: number): Promise<RawResponse> {
    const kill: Record<string, unknown> = { task_id: { value: taskId } };
    if (agentId !== undefined) kill.agent_id = { value: agentId };
    if (killGraceSecs !== undefined) kill.kill_policy = { grace_period: { nanoseconds: Math.round(killGraceSecs * 1e9) } };
    return this.call({ framework_id: this.fid(), type: 'KILL', kill });
  }

  reconcile(tasks: ReadonlyArray<{ taskId: string; agentId?: string }>): Promise<RawResponse> {
    return this.call({
      framework_id: this.fid(),
      type: 'RECONCILE',
      reconcile: { tasks: tasks.map((t) => (t.agentId === undefined ? { task_id: { value: t.taskId } } : { task_id: { value: t.taskId }, agent_id: { value: t.agentId } })) },
    });
  }

  revive(): Promise<RawResponse> {
    return this.call({ framework_id: this.fid(), type: 'REVIVE' });
  }

  suppress(): Promise<RawResponse> {
    return this.call({ framework_id: this.fid(), type: 'SUPPRESS' });
  }

  teardown(): Promise<RawResponse> {
    return this.call({ framework_id: this.fid(), type: 'TEARDOWN' });
  }

  /** Waits for the first event (from the start of the stream, or from index `from`) matching `pred`. */
  async waitEvent(pred: (e: SchedEvent) => boolean, opts: WaitOptions & { from?: number } = {}): Promise<SchedEvent> {
    const from = opts.from ?? 0;
    return waitFor(() => this.events.slice(from).find(pred), { timeoutMs: 15_000, ...opts, what: `${opts.what ?? 'event'} (events so far: ${this.summary()})` });
  }

  /** Waits for SUBSCRIBED and returns the framework id; fails fast on an ERROR event. */
  async subscribed(timeoutMs = 15_000): Promise<string> {
    const e = await this.waitEvent((x) => x.type === 'SUBSCRIBED' || x.type === 'ERROR', { timeoutMs, what: 'SUBSCRIBED' });
    if (e.type === 'ERROR') throw new Error(`subscription refused: ${e.error?.message ?? ''}`);
    return this.frameworkId;
  }

  /** Every UPDATE status for `taskId`, in arrival order. */
  updates(taskId?: string): WireStatus[] {
    return this.events.flatMap((e) => (e.type === 'UPDATE' && e.update !== undefined && (taskId === undefined || e.update.status.task_id.value === taskId) ? [e.update.status] : []));
  }

  /** Waits for an UPDATE of `taskId` whose state is one of `states`. */
  async waitUpdate(taskId: string, states: string | readonly string[], opts: WaitOptions = {}): Promise<WireStatus> {
    const want = typeof states === 'string' ? [states] : states;
    return waitFor(() => this.updates(taskId).find((s) => want.includes(s.state)), {
      timeoutMs: 20_000,
      ...opts,
      what: `${opts.what ?? `${want.join('|')} for task ${taskId}`} (updates so far: ${this.updates(taskId).map((s) => s.state).join(', ') || 'none'})`,
    });
  }

  /** Waits for an offer not yet taken or rescinded that matches `pred`, and marks it taken. */
  async takeOffer(pred: (o: WireOffer) => boolean = () => true, opts: WaitOptions = {}): Promise<WireOffer> {
    const o = await waitFor(() => this.offers.find((x) => !this.used.has(x.id.value) && !this.rescinded.has(x.id.value) && pred(x)), {
      timeoutMs: 15_000,
      ...opts,
      what: `${opts.what ?? 'an offer'} (offers so far: ${this.offers.length}, agents ${[...new Set(this.offers.map((x) => x.agent_id.value))].join(',')})`,
    });
    this.used.add(o.id.value);
    return o;
  }

  /** Offers not yet taken nor rescinded. */
  outstanding(): WireOffer[] {
    return this.offers.filter((x) => !this.used.has(x.id.value) && !this.rescinded.has(x.id.value));
  }

  /** Marks offers as consumed (after a DECLINE or ACCEPT sent by hand). */
  markUsed(ids: readonly string[]): void {
    for (const id of ids) this.used.add(id);
  }

  /** Short log of the event types seen. */
  summary(): string {
    return this.events
      .map((e) => (e.type === 'UPDATE' ? `UPDATE(${e.update?.status.task_id.value}:${e.update?.status.state})` : e.type === 'ERROR' ? `ERROR(${e.error?.message})` : e.type))
      .slice(-40)
      .join(' ');
  }

  /** Drops the connection without any call (what a crashed scheduler does). */
  close(): void {
    this.req.destroy();
    this.callAgent.destroy();
    this.ended = true;
  }
}

/**
 * POSTs SUBSCRIBE on a dedicated connection and resolves with the Subscription as soon as the response
 * head arrives (a non-200 answer's body is collected into `body`; wait for `isEnded`).
 */
export function subscribe(masterUrl: string, call: unknown, opts: SubscribeOptions = {}): Promise<Subscription> {
  const u = new URL(masterUrl);
  const text = opts.rawBody ?? JSON.stringify(call);
  return new Promise<Subscription>((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: opts.path ?? '/api/v1/scheduler',
        method: 'POST',
        agent: false,
        headers: { 'Content-Type': 'application/json', ...opts.headers },
      },
      (res) => {
        const sub = new Subscription(masterUrl, res.statusCode ?? 0, res.headers, req, opts.autoAck ?? false);
        sub.attach(res);
        resolve(sub);
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

/** Subscriptions opened through `openFramework`, closed by `closeAllSubscriptions`. */
const open = new Set<Subscription>();

/** SUBSCRIBE, check 200, wait for SUBSCRIBED; tracked for cleanup. */
export async function openFramework(masterUrl: string, call: unknown, opts: SubscribeOptions = {}): Promise<Subscription> {
  const sub = await subscribe(masterUrl, call, opts);
  open.add(sub);
  if (sub.status !== 200) {
    await waitFor(() => sub.isEnded, { timeoutMs: 5000, what: 'error body' }).catch(() => undefined);
    throw new Error(`SUBSCRIBE answered ${sub.status}: ${sub.body}`);
  }
  await sub.subscribed();
  return sub;
}

/** Closes every subscription opened through openFramework. */
export function closeAllSubscriptions(): void {
  for (const s of open) s.close();
  open.clear();
}
