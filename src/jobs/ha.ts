/**
 * `agora jobs --zk zk://…/path`: several instances elect one leader on ZooKeeper (ADR 0043). The leader runs
 * the whole jobs framework (started by `start`, i.e. startJobs without --zk) with its jobs, run records and
 * framework id in the ZkStore under the path, advertising this node's public `host:port` (Chronos's
 * `/leader`); every node's public port forwards each request to the leader (src/coordination/framework-ha).
 * The exactly-once rule holds across a change of leader because the new leader is an ordinary restart of
 * the engine on the same store: run records persisted by the old one are loaded and reconciled before any
 * launch, and the old one's writes are fenced once its election node is gone.
 */
import { SystemClock, type Clock } from '../core/clock.js';
import type { FlagValues } from '../core/flags.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { Store } from '../coordination/index.js';
import { startHaNode } from '../coordination/framework-ha/index.js';

interface Started {
  readonly url: string;
  readonly port: number;
}

/** What startJobs accepts for a leader term (the HA wiring's part of its deps). */
export interface JobsLeaderDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly store?: Store;
  /** Public `host:port` reported by `/leader` and used in the framework's webui_url. */
  readonly advertisedHostPort?: string;
}

function flagNum(flags: FlagValues, name: string, dflt: number): number {
  const v = flags[name];
  return typeof v === 'number' ? v : dflt;
}

function flagStr(flags: FlagValues, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Starts an HA jobs node; `start` runs the framework itself for each leadership term. */
export async function startHaJobs<R extends Started & { stop(): Promise<void> }>(
  flags: FlagValues,
  deps: JobsLeaderDeps,
  start: (flags: FlagValues, deps: JobsLeaderDeps) => Promise<R>,
): Promise<{ readonly url: string; readonly port: number; readonly current: () => R | undefined; stop(): Promise<void> }> {
  const clock = deps.clock ?? new SystemClock();
  const logger = deps.logger ?? silentLogger();
  const ip = flagStr(flags, 'ip') ?? '127.0.0.1';
  const hostname = flagStr(flags, 'hostname');
  let current: R | undefined;
  const node = await startHaNode({
    zk: flagStr(flags, 'zk') ?? '',
    sessionTimeoutMs: flagNum(flags, 'zk_session_timeout', 10_000),
    ip,
    port: flagNum(flags, 'port', 4400),
    ...(hostname !== undefined ? { hostname } : {}),
    clock,
    logger,
    viaHeader: 'X-Chronos-Via',
    startLeader: async (store, self) => {
      // The framework itself listens on loopback only: it is reached through this node's front.
      const r = await start({ ...flags, zk: '', port: 0, ip: '127.0.0.1', hostname: hostname ?? ip }, { ...deps, clock, logger, store, advertisedHostPort: self.hostPort });
      current = r;
      return {
        url: r.url,
        stop: async () => {
          if (current === r) current = undefined;
          await r.stop();
        },
      };
    },
  });
  return { url: node.url, port: node.port, current: () => current, stop: () => node.stop() };
}
