/**
 * Master election on ZooKeeper with upstream's layout (see zk/zk-group.ts): each contender creates an
 * ephemeral sequential `json.info_` node holding its MasterInfo under the `--zk` path; the lowest sequence
 * leads; every other contender watches only its predecessor (no herd on a change).
 *
 * Guarantees:
 * - `onElected` runs when this contender becomes the leader; `onLost` runs at once when it stops being the
 *   leader for any reason: its session expired, its node was removed, or it stayed disconnected from every
 *   ZooKeeper server longer than `disconnectGraceMs` (default a quarter of the session timeout: the server
 *   cannot have expired the session yet, so a reconnect to another server of the ensemble within that time
 *   keeps the leader; past it we stop acting rather than hope). After `onLost` it never acts as leader on
 *   that node again: it drops the session and contends afresh as a standby with a new node (removing the old
 *   node if it still exists).
 * - `fencePath()` is the own node while leading: the ZkStore checks it in every registry write, so a write
 *   from a leader whose session the server already expired fails even if this process has not noticed yet.
 */
import type { MasterInfoJson } from '../api/mesos/common.js';
import type { Clock, Timer } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/log.js';
import { JSON_LABEL, candidates, sortedJson } from './zk/zk-group.js';
import { Rerun } from './zk/rerun.js';
import { ZkSession } from './zk/zk-session.js';
import type { ZkUrl } from './zk/zk-url.js';

export interface ZkLeadershipOptions {
  /** `--zk_session_timeout` (upstream default 10 s). */
  readonly sessionTimeoutMs: number;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Delay before contending again after a loss or a failed attempt (default 1 s). */
  readonly retryMs?: number;
  /** How long a disconnected leader keeps leading while its client looks for another server (default timeout/4). */
  readonly disconnectGraceMs?: number;
}

export type LeadershipState = 'contending' | 'leading' | 'closed';

export class ZkLeadership {
  private session: ZkSession | undefined;
  private node: string | undefined;
  private state: LeadershipState = 'contending';
  private retry: Timer | undefined;
  private grace: Timer | undefined;
  private watchdog: Timer | undefined;
  /** Last time ZooKeeper answered us while leading (clock ms). */
  private confirmedAt = 0;
  private lastTick = 0;
  /** A node of ours whose session we gave up on; removed by the next session so it cannot block the election. */
  private staleNode: string | undefined;
  private readonly elected = new Set<() => void>();
  private readonly lost = new Set<(reason: string) => void>();
  private readonly log: Logger;
  private readonly check = new Rerun(
    () => this.examine(),
    (e: unknown) => this.lose(`election check failed: ${String(e)}`),
  );

  private constructor(
    private readonly url: ZkUrl,
    private readonly info: object,
    private readonly opts: ZkLeadershipOptions,
  ) {
    this.log = opts.logger ?? silentLogger();
  }

  /**
   * Creates this contender's node and starts following the election; rejects when ZooKeeper is unreachable.
   * `info` is the participant payload stored (as sorted JSON) in the node: the master's MasterInfo, or a
   * framework member's address (src/coordination/framework-ha).
   */
  static async contend(url: ZkUrl, info: MasterInfoJson | object, opts: ZkLeadershipOptions): Promise<ZkLeadership> {
    const l = new ZkLeadership(url, info, opts);
    await l.join();
    return l;
  }

  /**
   * True while leading AND ZooKeeper answered within the last 2/3 of the session timeout: a process that was
   * paused or cut off silently stops counting itself leader before the server can have expired its session,
   * even before the watchdog has run. Callers check it before acting (allocation, offers).
   */
  get isLeader(): boolean {
    return this.state === 'leading' && this.opts.clock.now() - this.confirmedAt < (this.opts.sessionTimeoutMs * 2) / 3;
  }

  /** This contender's node (e.g. `/agora/json.info_0000000003`), while it has one. */
  get nodePath(): string | undefined {
    return this.node;
  }

  /** The node registry writes must check (our own node), only while leading. */
  fencePath(): string | undefined {
    return this.isLeader ? this.node : undefined;
  }

  /** Registers a callback for becoming the leader; returns its remover. */
  onElected(cb: () => void): () => void {
    this.elected.add(cb);
    return () => this.elected.delete(cb);
  }

  /** Registers a callback for losing leadership (called synchronously from the event that revealed it). */
  onLost(cb: (reason: string) => void): () => void {
    this.lost.add(cb);
    return () => this.lost.delete(cb);
  }

  /** Gives up leadership (e.g. this master could not start serving) and contends again with a new node. */
  relinquish(reason: string): void {
    this.lose(reason);
  }

  /** Withdraws: the node goes away with the session, so another contender takes over at once. */
  async close(): Promise<void> {
    const wasLeader = this.state === 'leading';
    this.state = 'closed';
    this.retry?.cancel();
    this.grace?.cancel();
    this.watchdog?.cancel();
    const s = this.session;
    this.session = undefined;
    this.node = undefined;
    if (wasLeader) for (const cb of [...this.lost]) cb('closed');
    await s?.close();
  }

  private async join(): Promise<void> {
    const s = await ZkSession.open(this.url, { sessionTimeoutMs: this.opts.sessionTimeoutMs, clock: this.opts.clock });
    if (this.state === 'closed') {
      await s.close();
      return;
    }
    try {
      await s.mkdirp(this.url.path);
      this.node = await s.create(`${this.url.path}/${JSON_LABEL}_`, Buffer.from(sortedJson(this.info)), 'ephemeral_sequential');
    } catch (e: unknown) {
      await s.close();
      throw e;
    }
    this.session = s;
    if (this.staleNode !== undefined) {
      await s.remove(this.staleNode).catch(() => false);
      this.staleNode = undefined;
    }
    s.on('disconnected', () => {
      if (this.session !== s || this.state !== 'leading') return;
      this.grace ??= this.opts.clock.after(this.opts.disconnectGraceMs ?? Math.floor(this.opts.sessionTimeoutMs / 4), () => {
        this.grace = undefined;
        if (this.session === s) this.lose('ZooKeeper connection lost');
      });
    });
    s.on('connected', () => {
      this.grace?.cancel();
      this.grace = undefined;
      // Re-examine after a reconnect: the group may have changed while we were away.
      if (this.session === s) this.check.trigger();
    });
    s.on('expired', () => {
      if (this.session === s) this.lose('ZooKeeper session expired');
    });
    this.log.info({ node: this.node, session: s.id }, 'contending for leadership');
    this.check.trigger();
  }

  /** One look at the group: lead when lowest, else watch the predecessor. */
  private async examine(): Promise<void> {
    const s = this.session;
    const node = this.node;
    if (s === undefined || node === undefined || this.state === 'closed') return;
    const name = node.slice(node.lastIndexOf('/') + 1);
    const cands = (await s.children(this.url.path)) ?? [];
    if (this.session !== s) return;
    const ordered = candidates(cands);
    const at = ordered.findIndex((c) => c.name === name);
    if (at === -1) {
      this.lose('own election node vanished');
      return;
    }
    if (at === 0) {
      // Watch our own node too: if an operator deletes it, we must step down.
      if (!(await s.exists(node, () => this.check.trigger()))) return this.lose('own election node vanished');
      if (this.session !== s || this.state !== 'contending') return;
      this.state = 'leading';
      this.confirmedAt = this.lastTick = this.opts.clock.now();
      this.startWatchdog(s, node);
      this.log.info({ node }, 'elected leader');
      for (const cb of [...this.elected]) cb();
      return;
    }
    const pred = ordered[at - 1];
    if (pred === undefined) return;
    // When the predecessor is already gone, look again at once; otherwise its deletion wakes us.
    if (!(await s.exists(`${this.url.path}/${pred.name}`, () => this.check.trigger()))) this.check.trigger();
  }

  /**
   * While leading: every quarter of the session timeout, ask ZooKeeper about our node (each answer renews
   * `confirmedAt`), and step down when answers stop for 2/3 of the timeout or when the timer itself ran far
   * too late (the process was paused, e.g. SIGSTOP or a long GC: the server may have expired us meanwhile).
   */
  private startWatchdog(s: ZkSession, node: string): void {
    this.watchdog?.cancel();
    const period = Math.max(50, Math.floor(this.opts.sessionTimeoutMs / 4));
    this.watchdog = this.opts.clock.every(period, () => {
      if (this.session !== s || this.state !== 'leading') return;
      const now = this.opts.clock.now();
      const late = now - this.lastTick;
      this.lastTick = now;
      if (late > this.opts.sessionTimeoutMs / 2) return this.lose(`paused for ${late} ms`);
      if (now - this.confirmedAt >= (this.opts.sessionTimeoutMs * 2) / 3) return this.lose('ZooKeeper stopped answering');
      s.exists(node).then(
        (there) => {
          if (this.session !== s) return;
          if (there) this.confirmedAt = Math.max(this.confirmedAt, now);
          else this.lose('own election node vanished');
        },
        () => undefined,
      );
    });
  }

  /** Leadership (or the chance of it) is gone with this session: stop acting now, then contend afresh. */
  private lose(reason: string): void {
    if (this.state === 'closed') return;
    const wasLeader = this.state === 'leading';
    this.state = 'contending';
    const s = this.session;
    this.grace?.cancel();
    this.grace = undefined;
    this.watchdog?.cancel();
    this.watchdog = undefined;
    this.staleNode = this.node;
    this.session = undefined;
    this.node = undefined;
    if (wasLeader) {
      this.log.warn({ reason }, 'lost leadership');
      for (const cb of [...this.lost]) cb(reason);
    }
    // Closing (not just abandoning) the session removes our node at once when the server can still be reached.
    if (s !== undefined) void s.close();
    this.scheduleJoin();
  }

  private scheduleJoin(): void {
    this.retry?.cancel();
    this.retry = this.opts.clock.after(this.opts.retryMs ?? 1000, () => {
      this.retry = undefined;
      if (this.state === 'closed' || this.session !== undefined) return;
      this.join().catch((e: unknown) => {
        this.log.warn({ err: String(e) }, 'cannot contend for leadership yet');
        this.scheduleJoin();
      });
    });
  }
}
