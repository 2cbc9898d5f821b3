/**
 * One ZooKeeper session (node-zookeeper-client) with promise-returning operations. A session that expires
 * is dead for good: every later call fails with UNAVAILABLE and `expired` listeners run once; owners that
 * want to go on open a new session. Disconnections shorter than the session timeout are invisible to
 * callers except through the `disconnected` / `connected` listeners (the client re-sends queued requests).
 */
import { CreateMode, Exception, State, createClient, type Client, type Stat } from 'node-zookeeper-client';
import type { Clock, Timer } from '../../core/clock.js';
import { AgoraError } from '../../core/errors.js';
import type { ZkUrl } from './zk-url.js';

export type ZkSessionEvent = 'connected' | 'disconnected' | 'expired';

/** One operation of a `multi` transaction. `version` -1 means any version. */
export type ZkOp =
  | { readonly op: 'create'; readonly path: string; readonly data: Buffer; readonly mode?: 'persistent' | 'ephemeral' }
  | { readonly op: 'set'; readonly path: string; readonly data: Buffer; readonly version: number }
  | { readonly op: 'remove'; readonly path: string; readonly version: number }
  | { readonly op: 'check'; readonly path: string; readonly version: number };

/** A failed `multi`: the index of the operation that failed and ZooKeeper's error code. */
export class ZkMultiError extends Error {
  constructor(
    readonly index: number,
    readonly code: number,
  ) {
    super(`ZooKeeper transaction failed at operation ${index} (code ${code})`);
    this.name = 'ZkMultiError';
  }
}

/** ZooKeeper error codes callers branch on. */
export const ZK_CODES = {
  NO_NODE: Exception.NO_NODE,
  NODE_EXISTS: Exception.NODE_EXISTS,
  BAD_VERSION: Exception.BAD_VERSION,
  NOT_EMPTY: Exception.NOT_EMPTY,
} as const;

/** The ZooKeeper error code of `e`, or undefined for other errors. */
export function zkCode(e: unknown): number | undefined {
  if (e instanceof ZkMultiError || e instanceof ZkExceptionError) return e.code;
  if (e instanceof Exception) return e.getCode();
  return undefined;
}

export interface ZkSessionOptions {
  readonly sessionTimeoutMs: number;
  /** How long `open` waits for the first connection (default: the session timeout). */
  readonly connectTimeoutMs?: number;
  /** Times the connect timeout. */
  readonly clock: Clock;
}

/** A watch callback: fires once, on any change of the watched node or its children list. */
export type ZkWatcher = () => void;

export class ZkSession {
  private readonly listeners = new Map<ZkSessionEvent, Set<() => void>>();
  private dead = false;

  private localExpiry: Timer | undefined;

  private constructor(
    private readonly client: Client,
    opts: ZkSessionOptions,
  ) {
    client.on('state', (state: State) => {
      if (state === State.EXPIRED) this.expire();
      else if (state === State.DISCONNECTED) {
        // The server expires a silent session after the timeout; a client cut off from every server only hears
        // of it on reconnecting. Like upstream, expire locally after that long disconnected.
        this.localExpiry ??= opts.clock.after(opts.sessionTimeoutMs, () => this.expire());
        this.emit('disconnected');
      } else if (state === State.SYNC_CONNECTED) {
        this.localExpiry?.cancel();
        this.localExpiry = undefined;
        this.emit('connected');
      }
    });
  }

  /** Connects; rejects with UNAVAILABLE if no server answers within the connect timeout. */
  static async open(url: ZkUrl, opts: ZkSessionOptions): Promise<ZkSession> {
    const client = createClient(url.connectString, { sessionTimeout: opts.sessionTimeoutMs, spinDelay: 200, retries: 0 });
    if (url.auth !== undefined) client.addAuthInfo('digest', Buffer.from(`${url.auth.user}:${url.auth.password}`));
    const session = new ZkSession(client, opts);
    const limit = opts.connectTimeoutMs ?? opts.sessionTimeoutMs;
    await new Promise<void>((resolve, reject) => {
      const timer = opts.clock.after(limit, () => {
        client.close();
        reject(new AgoraError('UNAVAILABLE', `No ZooKeeper server of ${url.connectString} answered within ${limit} ms`));
      });
      client.once('connected', () => {
        timer.cancel();
        resolve();
      });
      client.connect();
    });
    return session;
  }

  /** Session id as hex (for logs). */
  get id(): string {
    return this.client.getSessionId().toString('hex');
  }

  /** The timeout the server granted. */
  get sessionTimeoutMs(): number {
    return this.client.getSessionTimeout();
  }

  get expired(): boolean {
    return this.dead;
  }

  /** Registers a listener; returns a function that removes it. */
  on(event: ZkSessionEvent, cb: () => void): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(cb);
    return () => set.delete(cb);
  }

  /** Marks the session dead (server said EXPIRED, or the owner decided it is lost) and tells listeners once. */
  expire(): void {
    if (this.dead) return;
    this.dead = true;
    this.localExpiry?.cancel();
    this.emit('expired');
    this.client.close();
  }

  /** Data and version of a node, or undefined when it does not exist. */
  async get(path: string, watch?: ZkWatcher): Promise<{ data: Buffer; version: number } | undefined> {
    return this.call<{ data: Buffer; version: number } | undefined>((done) => {
      const cb = (err: Error | Exception | null, data: Buffer, stat: Stat): void => {
        if (err !== null && zkCode(err) === Exception.NO_NODE) done(null, undefined);
        else done(err, err === null ? { data: data ?? Buffer.alloc(0), version: stat.version } : undefined);
      };
      if (watch === undefined) this.client.getData(path, cb);
      else this.client.getData(path, () => watch(), cb);
    });
  }

  /** Child names of a node, or undefined when it does not exist. */
  async children(path: string, watch?: ZkWatcher): Promise<string[] | undefined> {
    return this.call<string[] | undefined>((done) => {
      const cb = (err: Error | Exception | null, children: string[]): void => {
        if (err !== null && zkCode(err) === Exception.NO_NODE) done(null, undefined);
        else done(err, err === null ? children : undefined);
      };
      if (watch === undefined) this.client.getChildren(path, cb);
      else this.client.getChildren(path, () => watch(), cb);
    });
  }

  /** Whether a node exists; the watch fires when it is created, changed or deleted. */
  async exists(path: string, watch?: ZkWatcher): Promise<boolean> {
    return this.call<boolean>((done) => {
      const cb = (err: Error | Exception | null, stat: Stat | null): void => done(err, err === null && stat !== null && stat !== undefined);
      if (watch === undefined) this.client.exists(path, cb);
      else this.client.exists(path, () => watch(), cb);
    });
  }

  /** Creates a node (sequential when asked) and returns its actual path. */
  async create(path: string, data: Buffer, mode: 'persistent' | 'ephemeral' | 'ephemeral_sequential'): Promise<string> {
    const m = mode === 'persistent' ? CreateMode.PERSISTENT : mode === 'ephemeral' ? CreateMode.EPHEMERAL : CreateMode.EPHEMERAL_SEQUENTIAL;
    return this.call<string>((done) => this.client.create(path, data, m, (err, created) => done(err, created)));
  }

  /** Creates a persistent path and its missing parents (no error when it exists). */
  async mkdirp(path: string): Promise<void> {
    await this.call<string>((done) => this.client.mkdirp(path, (err, created) => done(err, created)));
  }

  /** Removes a node if its version matches (-1: any); resolves false when it did not exist. */
  async remove(path: string, version = -1): Promise<boolean> {
    return this.call<boolean>((done) =>
      this.client.remove(path, version, (err) => {
        if (err !== null && zkCode(err) === Exception.NO_NODE) done(null, false);
        else done(err, err === null);
      }),
    );
  }

  /** Applies every operation or none; a failure rejects with ZkMultiError naming the failed operation. */
  async multi(ops: readonly ZkOp[]): Promise<void> {
    await this.call<void>((done) => {
      const tx = this.client.transaction();
      for (const o of ops) {
        if (o.op === 'create') tx.create(o.path, o.data, o.mode === 'ephemeral' ? CreateMode.EPHEMERAL : CreateMode.PERSISTENT);
        else if (o.op === 'set') tx.setData(o.path, o.data, o.version);
        else if (o.op === 'remove') tx.remove(o.path, o.version);
        else tx.check(o.path, o.version);
        // node-zookeeper-client 1.1.3 turns version 0 into -1 ("any version") in transactions (`version || -1`),
        // which would make the first compare-and-set of every node unconditional: put the 0 back.
        if (o.op !== 'create' && o.version === 0) {
          const queued = (tx as unknown as { ops: { version: number }[] }).ops;
          const last = queued[queued.length - 1];
          if (last !== undefined) last.version = 0;
        }
      }
      tx.commit((err: Error | Exception | null, results: unknown) => {
        if (err === null) return done(null, undefined);
        if (err instanceof Exception && Array.isArray(results)) {
          // Operations before the failed one report OK (0), those after it RUNTIME_INCONSISTENCY.
          const index = results.findIndex((r: unknown) => typeof r === 'object' && r !== null && 'err' in r && (r as { err: number }).err !== 0 && (r as { err: number }).err !== Exception.RUNTIME_INCONSISTENCY);
          if (index !== -1) return done(new ZkMultiError(index, (results[index] as { err: number }).err), undefined);
        }
        done(err, undefined);
      });
    });
  }

  /** Ends the session: its ephemeral nodes go away at once. */
  async close(): Promise<void> {
    if (!this.dead) {
      this.dead = true;
      this.localExpiry?.cancel();
      this.client.close();
    }
  }

  private async call<T>(run: (done: (err: Error | Exception | null, value: T) => void) => void): Promise<T> {
    if (this.dead) throw new AgoraError('UNAVAILABLE', 'ZooKeeper session expired or closed');
    return new Promise<T>((resolve, reject) => {
      run((err, value) => {
        if (err === null) resolve(value);
        else reject(err instanceof Exception ? new ZkExceptionError(err) : err);
      });
    });
  }

  private emit(event: ZkSessionEvent): void {
    for (const cb of [...(this.listeners.get(event) ?? [])]) cb();
  }
}

/** A ZooKeeper Exception wrapped as an Error (the client's Exception does not extend Error). */
export class ZkExceptionError extends Error {
  readonly code: number;
  constructor(readonly exception: Exception) {
    super(exception.toString());
    this.name = 'ZkExceptionError';
    this.code = exception.getCode();
  }
}
