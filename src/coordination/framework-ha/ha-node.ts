/**
 * One instance of a highly available framework (`agora apps --zk`, `agora jobs --zk`): a front HTTP server on
 * the public port, a seat in the ZooKeeper election (FrameworkLeadership), and — only while leading — the
 * framework itself, started by `startLeader` on an internal ephemeral port with its state in the shared,
 * fenced ZkStore.
 *
 * Guarantees:
 * - Every request to the public port goes to the leader: to the local framework while this node leads and it
 *   is up, otherwise to the leader's public port (forward.ts, streamed both ways, including SSE). A request
 *   that already passed through this node gets 502 `Detected proxying loop.`; while no leader is serving,
 *   requests are held (polling every 250 ms, up to `holdMs`) and then answered 503.
 * - At most one framework instance runs per node, started after election and stopped at once on a lost
 *   leadership (its scheduler stream, timers and SSE connections closed by its own `stop()`); transitions
 *   run one at a time, in order. A framework that cannot start gives leadership up.
 * - `DELETE <abdicatePath>` on the leader (directly or forwarded) gives leadership up (`/v2/leader`).
 * - The store refuses writes (NOT_LEADER) from a node whose election node is gone, even before it notices.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/log.js';
import type { Store } from '../store/store.js';
import { ZkStore } from '../store/zk-store.js';
import { parseZkUrl } from '../zk/zk-url.js';
import { answer, forward, isLoop } from './forward.js';
import { FrameworkLeadership, type FrameworkMember } from './framework-leadership.js';

/** The framework as run by the leader. */
export interface LeaderInstance {
  /** Internal `http://ip:port` the front forwards to. */
  readonly url: string;
  stop(): Promise<void>;
}

export interface HaNodeOptions {
  /** `zk://h1:p1,h2:p2/path`: the election lives at `<path>/leader`, the store at `<path>/store`. */
  readonly zk: string;
  readonly sessionTimeoutMs: number;
  readonly ip: string;
  /** Public port (0 = ephemeral). */
  readonly port: number;
  /** Advertised host (default `ip`). */
  readonly hostname?: string;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Loop-detection header (`X-Marathon-Via` for apps). */
  readonly viaHeader: string;
  /** Response header naming the leader's URL, set on answers that do not carry it (`X-Marathon-Leader`). */
  readonly leaderHeader?: string;
  /** Longest hold of a request while no leader serves (default 2500 ms, upstream ~10×250 ms). */
  readonly holdMs?: number;
  /** Longest wait for the leader's response head (default 10 s, upstream `--leader_proxy_read_timeout_ms`). */
  readonly proxyTimeoutMs?: number;
  /** Delay before contending again after a loss (default 1 s). */
  readonly retryMs?: number;
  /**
   * `DELETE <path>` (`/v2/leader` for apps) reaching the leader makes it abdicate (upstream: 200
   * `{"message":"Leadership abdicated"}`); another node (possibly this one again) is then elected.
   */
  readonly abdicatePath?: string;
  /** Starts the framework as leader with `store`, advertising `self` (its public address). */
  readonly startLeader: (store: Store, self: FrameworkMember) => Promise<LeaderInstance>;
}

export interface RunningHaNode {
  /** Public `http://ip:port`. */
  readonly url: string;
  readonly port: number;
  readonly leadership: FrameworkLeadership;
  /** The local framework while this node leads and serves. */
  readonly local: LeaderInstance | undefined;
  stop(): Promise<void>;
}

const POLL_MS = 250;

/** Listens, contends, and from then on serves as leader or proxy; rejects when ZooKeeper is unreachable. */
export async function startHaNode(o: HaNodeOptions): Promise<RunningHaNode> {
  const log = o.logger ?? silentLogger();
  const { clock } = o;
  const url = parseZkUrl(o.zk);
  let leadership: FrameworkLeadership | undefined;
  let local: LeaderInstance | undefined;
  let stopped = false;

  /** Where a request goes now: the local framework, the remote leader, or nowhere (yet). */
  const target = (): string | undefined => {
    if (leadership === undefined) return undefined;
    if (leadership.isLeader) return local?.url;
    const leader = leadership.leader;
    return leader !== undefined && leader.id !== leadership.self.id ? leader.url : undefined;
  };
  const leaderHeaders = (): Record<string, string> => {
    const leader = leadership?.leader;
    return o.leaderHeader !== undefined && leader !== undefined ? { [o.leaderHeader]: leader.url } : {};
  };
  const waitForTarget = async (): Promise<string | undefined> => {
    const deadline = clock.now() + (o.holdMs ?? 2500);
    for (;;) {
      const t = target();
      if (t !== undefined || stopped || clock.now() >= deadline) return t;
      await new Promise<void>((resolve) => clock.after(POLL_MS, resolve));
    }
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const self = leadership?.self;
    if (self !== undefined && isLoop(req.headers, o.viaHeader, self.hostPort)) return answer(res, 502, 'Detected proxying loop.', leaderHeaders());
    if (o.abdicatePath !== undefined && req.method === 'DELETE' && (req.url ?? '').split('?')[0] === o.abdicatePath && leadership?.isLeader === true) {
      leadership.relinquish('abdicated on request');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Leadership abdicated' }));
      return;
    }
    const t = await waitForTarget();
    // The client gave up while the request was held.
    if (res.destroyed) return;
    if (t === undefined || self === undefined) return answer(res, 503, 'Could not determine the current leader', leaderHeaders());
    await forward(req, res, { target: t, viaHeader: o.viaHeader, self: self.hostPort, timeoutMs: o.proxyTimeoutMs ?? 10_000, clock, responseHeaders: leaderHeaders() });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => answer(res, 500, errorMessage(e)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.ip, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : o.port;
  const closeServer = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  let store: ZkStore;
  try {
    store = await ZkStore.open(url, { sessionTimeoutMs: o.sessionTimeoutMs, clock, fence: () => leadership?.fencePath() });
  } catch (e: unknown) {
    await closeServer();
    throw e;
  }
  try {
    leadership = await FrameworkLeadership.contend(url, `${o.hostname ?? o.ip}:${port}`, {
      sessionTimeoutMs: o.sessionTimeoutMs,
      clock,
      logger: log,
      ...(o.retryMs !== undefined ? { retryMs: o.retryMs } : {}),
    });
  } catch (e: unknown) {
    await store.close();
    await closeServer();
    throw e;
  }
  const lead = leadership;
  const me = lead.self;

  // Transitions (standby ⇄ leader) run one at a time, in order.
  let chain: Promise<void> = Promise.resolve();
  const transition = (fn: () => Promise<void>): void => {
    chain = chain.then(fn).catch((e: unknown) => log.error({ err: errorMessage(e) }, 'leadership transition failed'));
  };
  let stopping: Promise<void> = Promise.resolve();
  /** Stops the local framework now (idempotent); the returned promise settles when it has stopped. */
  const stopLocal = (): Promise<void> => {
    const inst = local;
    local = undefined;
    if (inst !== undefined) stopping = inst.stop().catch((e: unknown) => log.error({ err: errorMessage(e) }, 'stopping the framework failed'));
    return stopping;
  };
  const onElected = (): void =>
    transition(async () => {
      if (stopped || !lead.isLeader || local !== undefined) return;
      log.info({ member: me.hostPort }, 'elected leader: starting the framework from the ZooKeeper state');
      let inst: LeaderInstance;
      try {
        inst = await o.startLeader(store, me);
      } catch (e: unknown) {
        log.error({ err: errorMessage(e) }, 'cannot start the framework: giving up leadership');
        lead.relinquish('framework start failed');
        return;
      }
      if (stopped || !lead.isLeader) {
        await inst.stop();
        return;
      }
      local = inst;
    });
  lead.onElected(onElected);
  // The election may already be decided (callbacks are registered after contend resolves).
  if (lead.isLeader) onElected();
  lead.onLost((reason) => {
    log.warn({ reason }, 'lost leadership: stopping the framework, standing by');
    void stopLocal();
    transition(stopLocal);
  });

  return {
    url: `http://${o.ip}:${port}`,
    port,
    leadership: lead,
    get local() {
      return local;
    },
    async stop() {
      stopped = true;
      await lead.close();
      await chain;
      await stopLocal();
      await closeServer();
      await store.close();
    },
  };
}
