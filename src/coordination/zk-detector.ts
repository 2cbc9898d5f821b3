/**
 * Follows the leading master through ZooKeeper (for agents, `agora execute`, the scheduler SDK and standby
 * masters), reading upstream's layout (zk/zk-group.ts), so it finds upstream masters as well as ours.
 *
 * Guarantees: `leader` is the MasterInfo of the lowest candidate node whose data parses, or undefined while
 * none exists or the session is lost; `onChange` runs once per change of it (compared by content). A lost
 * session is replaced by a new one (retrying every `retryMs`) and following resumes.
 */
import type { MasterInfoJson } from '../api/mesos/common.js';
import type { Clock, Timer } from '../core/clock.js';
import { candidates, parseMasterInfo, sortedJson, type Candidate } from './zk/zk-group.js';
import { Rerun } from './zk/rerun.js';
import { ZkSession } from './zk/zk-session.js';
import type { ZkUrl } from './zk/zk-url.js';

export interface ZkDetectorOptions {
  readonly sessionTimeoutMs: number;
  readonly clock: Clock;
  /** Delay between attempts to open a new session (default 1 s). */
  readonly retryMs?: number;
}

/** Reads a candidate node's payload; undefined when it is not one this detector understands. */
export type CandidateParser<T> = (c: Candidate, data: Buffer) => T | undefined;

/**
 * Follows the lowest readable candidate of an election group, whatever its payload (`parse` decodes it):
 * MasterInfo for masters (ZkMasterDetector), a member address for framework HA (src/coordination/framework-ha).
 */
export class ZkGroupDetector<T extends object> {
  private session: ZkSession | undefined;
  private current: T | undefined;
  private closed = false;
  private retry: Timer | undefined;
  private readonly listeners = new Set<(leader: T | undefined) => void>();
  private readonly refresh = new Rerun(
    () => this.look(),
    () => this.dropSession(),
  );

  protected constructor(
    private readonly url: ZkUrl,
    private readonly opts: ZkDetectorOptions,
    private readonly parse: CandidateParser<T>,
  ) {}

  /** Connects and reads the current leader (if any) before resolving. */
  static async follow<P extends object>(url: ZkUrl, opts: ZkDetectorOptions, parse: CandidateParser<P>): Promise<ZkGroupDetector<P>> {
    const d = new ZkGroupDetector(url, opts, parse);
    await d.init();
    return d;
  }

  protected async init(): Promise<void> {
    await this.connect();
    await this.look();
  }

  get leader(): T | undefined {
    return this.current;
  }

  /** Calls `cb` on each leader change (undefined: no leader known); returns its remover. */
  onChange(cb: (leader: T | undefined) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.retry?.cancel();
    const s = this.session;
    this.session = undefined;
    await s?.close();
  }

  private async connect(): Promise<void> {
    const s = await ZkSession.open(this.url, { sessionTimeoutMs: this.opts.sessionTimeoutMs, clock: this.opts.clock });
    if (this.closed) return void (await s.close());
    this.session = s;
    s.on('expired', () => {
      if (this.session === s) this.dropSession();
    });
  }

  /** Reads the group (re-arming the watches) and publishes the leader. */
  private async look(): Promise<void> {
    const s = this.session;
    if (s === undefined || this.closed) return;
    const watch = (): void => this.refresh.trigger();
    const children = await s.children(this.url.path, watch);
    if (children === undefined) {
      // The group does not exist yet: wake up when it is created.
      if (await s.exists(this.url.path, watch)) this.refresh.trigger();
      return this.publish(s, undefined);
    }
    for (const c of candidates(children)) {
      const node = await s.get(`${this.url.path}/${c.name}`);
      if (node === undefined) continue;
      const info = this.parse(c, node.data);
      if (info !== undefined) return this.publish(s, info);
    }
    this.publish(s, undefined);
  }

  private publish(s: ZkSession, leader: T | undefined): void {
    if (this.session !== s || this.closed) return;
    const before = this.current === undefined ? '' : sortedJson(this.current);
    const after = leader === undefined ? '' : sortedJson(leader);
    this.current = leader;
    if (before !== after) for (const cb of [...this.listeners]) cb(leader);
  }

  /** The session is gone: no leader known until a new session has looked again. */
  private dropSession(): void {
    const s = this.session;
    this.session = undefined;
    if (s !== undefined) void s.close();
    if (this.current !== undefined) {
      this.current = undefined;
      for (const cb of [...this.listeners]) cb(undefined);
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.retry?.cancel();
    this.retry = this.opts.clock.after(this.opts.retryMs ?? 1000, () => {
      this.retry = undefined;
      if (this.closed || this.session !== undefined) return;
      this.connect()
        .then(() => this.refresh.trigger())
        .catch(() => this.scheduleReconnect());
    });
  }
}

/** The leading master of an upstream-layout group (MasterInfo payloads, see zk/zk-group.ts). */
export class ZkMasterDetector extends ZkGroupDetector<MasterInfoJson> {
  /** Connects and reads the current leader (if any) before resolving. */
  static async start(url: ZkUrl, opts: ZkDetectorOptions): Promise<ZkMasterDetector> {
    const d = new ZkMasterDetector(url, opts, parseMasterInfo);
    await d.init();
    return d;
  }
}
