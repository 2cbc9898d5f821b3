/**
 * Leadership of a framework (`agora apps --zk`, `agora jobs --zk`) among several instances, on ZooKeeper.
 * Election reuses ZkLeadership (ephemeral sequential `json.info_` nodes, lowest leads, fencing, stepping
 * down at once on a lost session) under `<zk path>/leader`; the participant payload is this node's
 * advertised address, so every other node finds the leader's `host:port` through a ZkGroupDetector.
 *
 * Guarantees: `leader` is the member in the lowest readable candidate node (possibly this node), or
 * undefined while none is known; `isLeader` is ZkLeadership's (false as soon as ZooKeeper stops confirming
 * us); `onElected`/`onLost` as in ZkLeadership. `fencePath()` is for the ZkStore's `fence` option.
 */
import type { Clock } from '../../core/clock.js';
import { newUuid } from '../../core/ids.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { ZkGroupDetector } from '../zk-detector.js';
import { ZkLeadership } from '../zk-leadership.js';
import { JSON_LABEL, type Candidate } from '../zk/zk-group.js';
import type { ZkUrl } from '../zk/zk-url.js';

/** What a framework instance publishes in its candidate node. */
export interface FrameworkMember {
  /** Random per process start: tells this node's own candidate apart from another one at the same address. */
  readonly id: string;
  /** Advertised `host:port` (`/v2/leader`, `/leader`, proxy target, `X-Marathon-Via`). */
  readonly hostPort: string;
  /** `http://host:port`. */
  readonly url: string;
}

/** The member in a `json.info_` candidate node; undefined for any other node or payload. */
export function parseMember(c: Candidate, data: Buffer): FrameworkMember | undefined {
  if (c.label !== JSON_LABEL) return undefined;
  try {
    const m = JSON.parse(data.toString('utf8')) as Partial<FrameworkMember> | null;
    if (m === null || typeof m !== 'object') return undefined;
    if (typeof m.id !== 'string' || typeof m.hostPort !== 'string' || typeof m.url !== 'string') return undefined;
    return { id: m.id, hostPort: m.hostPort, url: m.url };
  } catch {
    return undefined;
  }
}

/** The election group of a framework whose state lives under `url.path`. */
export function electionUrl(url: ZkUrl): ZkUrl {
  return { ...url, path: `${url.path === '/' ? '' : url.path}/leader` };
}

export interface FrameworkLeadershipOptions {
  readonly sessionTimeoutMs: number;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Delay before contending again after a loss (default 1 s). */
  readonly retryMs?: number;
}

export class FrameworkLeadership {
  private constructor(
    readonly self: FrameworkMember,
    private readonly election: ZkLeadership,
    private readonly detector: ZkGroupDetector<FrameworkMember>,
  ) {}

  /** Starts following the group and contends; rejects when ZooKeeper is unreachable. */
  static async contend(url: ZkUrl, hostPort: string, opts: FrameworkLeadershipOptions): Promise<FrameworkLeadership> {
    const group = electionUrl(url);
    const self: FrameworkMember = { id: newUuid(), hostPort, url: `http://${hostPort}` };
    const detector = await ZkGroupDetector.follow(group, { sessionTimeoutMs: opts.sessionTimeoutMs, clock: opts.clock }, parseMember);
    try {
      const election = await ZkLeadership.contend(group, self, {
        sessionTimeoutMs: opts.sessionTimeoutMs,
        clock: opts.clock,
        logger: opts.logger ?? silentLogger(),
        ...(opts.retryMs !== undefined ? { retryMs: opts.retryMs } : {}),
      });
      return new FrameworkLeadership(self, election, detector);
    } catch (e: unknown) {
      await detector.close();
      throw e;
    }
  }

  get isLeader(): boolean {
    return this.election.isLeader;
  }

  /** The member leading now as far as ZooKeeper told us (may be this node, maybe not yet serving). */
  get leader(): FrameworkMember | undefined {
    return this.detector.leader;
  }

  fencePath(): string | undefined {
    return this.election.fencePath();
  }

  onElected(cb: () => void): () => void {
    return this.election.onElected(cb);
  }

  onLost(cb: (reason: string) => void): () => void {
    return this.election.onLost(cb);
  }

  /** Calls `cb` when the known leader changes (undefined: none known). */
  onLeaderChange(cb: (leader: FrameworkMember | undefined) => void): () => void {
    return this.detector.onChange(cb);
  }

  /** Steps down and contends again as a standby. */
  relinquish(reason: string): void {
    this.election.relinquish(reason);
  }

  /** Withdraws from the election (another node takes over at once) and stops following it. */
  async close(): Promise<void> {
    await this.election.close();
    await this.detector.close();
  }
}
