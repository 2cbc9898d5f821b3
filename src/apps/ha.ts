/**
 * `agora apps --zk zk://…/path`: several instances elect one leader on ZooKeeper (ADR 0043). The leader runs
 * the whole apps framework (started by `start`, i.e. startApps without --zk) with its state in the ZkStore
 * under the path, advertising this node's public address; every node's public port forwards each request,
 * including `GET /v2/events`, to the leader (src/coordination/framework-ha).
 */
import { SystemClock, type Clock } from '../core/clock.js';
import { num, str, type FlagValues } from '../core/flags.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { Rng } from '../core/rng.js';
import type { Store } from '../coordination/index.js';
import { startHaNode } from '../coordination/framework-ha/index.js';
import type { InfoHa } from './http/info.js';

interface Started {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** What startApps accepts for a leader term (the HA wiring's part of its deps). */
export interface AppsLeaderDeps {
  clock?: Clock;
  logger?: Logger;
  rng?: Rng;
  store?: Store;
  advertisedUrl?: string;
  /** Set by the HA node: its ZooKeeper settings, shown by `/v2/info` (`ha`, `zookeeper_config`). */
  ha?: InfoHa;
}

/** Starts an HA apps node; `start` runs the framework itself for each leadership term. */
export async function startHaApps(flags: FlagValues, deps: AppsLeaderDeps, start: (flags: FlagValues, deps: AppsLeaderDeps) => Promise<Started>): Promise<Started> {
  const clock = deps.clock ?? new SystemClock();
  const logger = deps.logger ?? silentLogger();
  const ip = str(flags, 'ip') ?? '127.0.0.1';
  const hostname = str(flags, 'hostname');
  const zk = str(flags, 'zk') ?? '';
  const sessionTimeoutMs = num(flags, 'zk_session_timeout') ?? 10_000;
  const node = await startHaNode({
    zk,
    sessionTimeoutMs,
    ip,
    port: num(flags, 'port') ?? 8080,
    ...(hostname !== undefined ? { hostname } : {}),
    clock,
    logger,
    viaHeader: 'X-Marathon-Via',
    leaderHeader: 'X-Marathon-Leader',
    abdicatePath: '/v2/leader',
    proxyTimeoutMs: num(flags, 'leader_proxy_read_timeout') ?? 10_000,
    // The framework itself listens on loopback only: it is reached through this node's front.
    startLeader: (store, self) => start({ ...flags, zk: '', port: 0, ip: '127.0.0.1', hostname: hostname ?? ip }, { ...deps, clock, logger, store, advertisedUrl: self.url, ha: { zk, zkSessionTimeoutMs: sessionTimeoutMs } }),
  });
  return { url: node.url, port: node.port, stop: () => node.stop() };
}
