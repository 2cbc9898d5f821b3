/**
 * `agora master --zk zk://.../agora`: a master that contends for leadership on ZooKeeper (spec §6.10) and
 * keeps its registry in the ZkStore. Only reached when `--zk` is set; the default path is untouched.
 *
 * While standing by, the port is served by the standby app (ha-standby.ts): what upstream's non-leading
 * masters serve themselves (spec §1.6: `/health`, `/flags`, `/version`, `/metrics/snapshot` with
 * `master/elected` 0, `/files/*`, `/help`) and 307 to the leader found by the detector for everything else
 * (protocol-relative `Location`), or 503 `No leader elected`. When elected, the full master is built
 * (registry recovered from ZooKeeper) and its app takes over the requests of the same listening server
 * (ha-front.ts: the port is never closed; calls arriving during recovery are held for the leader, not
 * refused). When leadership is lost, the master stops acting at once (timers and streams closed; its registry
 * writes are fenced by the ZkStore anyway) and the standby app answers again; it contends again as a standby.
 */
import type { FastifyInstance } from 'fastify';
import type { MasterInfoJson } from '../api/mesos/common.js';
import { ZkLeadership, ZkMasterDetector, ZkStore, parseZkUrl } from '../coordination/index.js';
import { SystemClock } from '../core/clock.js';
import type { FlagValues } from '../core/flags.js';
import { newUuid, type MasterId } from '../core/ids.js';
import { createLogger } from '../core/log.js';
import { MESOS_VERSION } from '../core/version.js';
import { HaFront } from './ha-front.js';
import { standbyApp } from './ha-standby.js';
import { buildMaster, masterConfig, type BuiltMaster, type MasterStartDeps, type RunningMaster } from './index.js';
import { ipToUint32 } from './master.js';

export { redirectLocation } from './ha-standby.js';

/** Starts a ZooKeeper-coordinated master on ip:port (port already chosen, not 0). */
export async function startHaMaster(flags: FlagValues, deps: MasterStartDeps, port: number): Promise<RunningMaster> {
  const clock = deps.clock ?? new SystemClock();
  const logger = deps.logger ?? createLogger('master');
  const url = parseZkUrl(String(flags['zk']));
  const sessionTimeoutMs = typeof flags['zk_session_timeout'] === 'number' ? flags['zk_session_timeout'] : 10_000;
  const config = masterConfig(flags, port);
  const masterId = newUuid() as MasterId;
  const info: MasterInfoJson = {
    id: masterId,
    ip: ipToUint32(config.ip),
    port,
    pid: `master@${config.ip}:${port}`,
    hostname: config.hostname,
    version: MESOS_VERSION,
    address: { hostname: config.hostname, ip: config.ip, port },
    capabilities: [{ type: 'AGENT_UPDATE' }, { type: 'AGENT_DRAINING' }, { type: 'QUOTA_V2' }],
  };
  const lead: { current?: ZkLeadership } = {};
  const store = await ZkStore.open(url, { sessionTimeoutMs, clock, fence: () => lead.current?.fencePath() });
  const detector = await ZkMasterDetector.start(url, { sessionTimeoutMs, clock });
  let standby: FastifyInstance | undefined;
  let front: HaFront | undefined;
  let built: BuiltMaster | undefined;
  let stopped = false;
  // Transitions (standby ⇄ leader) run one at a time, in order.
  let chain: Promise<void> = Promise.resolve();
  const transition = (fn: () => Promise<void>): void => {
    chain = chain.then(fn).catch((e: unknown) => logger.error({ err: String(e) }, 'leadership transition failed'));
  };

  const serveStandby = async (): Promise<void> => {
    if (stopped || standby !== undefined) return;
    const app = standbyApp(detector, flags, masterId, port);
    await app.listen({ host: config.ip, port });
    standby = app;
    front = new HaFront(app);
  };
  const stopLeader = async (): Promise<void> => {
    const b = built;
    built = undefined;
    if (b === undefined) return;
    await b.master.stop();
    front?.serveStandby();
    await b.app.close();
  };

  await serveStandby();
  const leadership = await ZkLeadership.contend(url, info, { sessionTimeoutMs, clock, logger });
  lead.current = leadership;
  const onElected = (): void =>
    transition(async () => {
      if (stopped || !leadership.isLeader) return;
      logger.info({ masterId }, 'elected leading master: recovering the registry from ZooKeeper');
      // The standby app keeps answering GETs (503 for ourselves) while the registry is recovered; calls are
      // held for the leader so that agents following the election are not turned away and backing off.
      front?.holdCalls();
      let b: BuiltMaster;
      try {
        b = await buildMaster(flags, port, { ...deps, clock, logger, store, masterId, isLeader: () => leadership.isLeader });
      } catch (e: unknown) {
        logger.error({ err: String(e) }, 'cannot recover the registry: giving up leadership');
        front?.serveStandby();
        leadership.relinquish('registry recovery failed');
        return;
      }
      if (!leadership.isLeader || stopped || front === undefined) {
        front?.serveStandby();
        await b.master.stop();
        await b.app.close();
        return;
      }
      built = b;
      logger.info({ masterId, heldCalls: front.heldCount }, 'registry recovered: serving as the leading master');
      await front.serveLeader(b.app);
      b.master.start();
    });
  leadership.onElected(onElected);
  // The election may already be decided (callbacks are registered after contend resolves).
  if (leadership.isLeader) onElected();
  leadership.onLost((reason) => {
    // Stop acting at once (no offers, no pings, no registry writes), then hand the port back to the standby app.
    logger.warn({ reason }, 'lost leadership: stepping down to standby');
    void built?.master.stop();
    transition(async () => {
      await stopLeader();
      await serveStandby();
    });
  });

  return {
    url: `http://${config.ip}:${port}`,
    port,
    masterId,
    stop: async () => {
      stopped = true;
      await leadership.close();
      await chain;
      await stopLeader();
      front?.serveStandby();
      await standby?.close();
      standby = undefined;
      front = undefined;
      await detector.close();
      await store.close();
    },
  };
}
