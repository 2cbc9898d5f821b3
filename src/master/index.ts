/**
 * The master daemon's public surface: its flag table and startMaster(). One Master actor, one Fastify
 * server (scheduler API, agent protocol, operator endpoints) and the SQLite registry in `<work_dir>`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SystemClock, type Clock } from '../core/clock.js';
import { createLogger, type Logger } from '../core/log.js';
import type { FlagSpec, FlagValues } from '../core/flags.js';
import { invalid } from '../core/errors.js';
import { newUuid, type MasterId } from '../core/ids.js';
import { SeededRng, randomSeed, type Rng } from '../core/rng.js';
import { SqliteStore, type Store } from '../coordination/index.js';
import { createHttpServer, DEFAULT_BODY_LIMIT } from '../transport/http-server.js';
import { DrfAllocator, DEFAULT_MIN_ALLOCATABLE } from './allocator/index.js';
import type { Allocator } from './allocator/allocator.js';
import { Master } from './master.js';
import { parseRemovalRate } from './agent-removal-limit.js';
import { Registry } from './registry.js';
import { parseWeightsFlag } from './role-settings.js';
import type { MasterConfig } from './types.js';
import { registerSchedulerRoutes } from './http/scheduler-route.js';
import { registerAgentRoutes } from './http/agent-route.js';
import { registerOperatorRoutes } from './http/operator-routes.js';
import { registerRoleRoutes } from './http/quota-routes.js';
import { registerReservationRoutes } from './http/reservation-routes.js';
import { registerMaintenanceRoutes } from './http/maintenance-routes.js';
import { MASTER_FLAG_SPECS } from './flag-specs.js';

export { Master } from './master.js';
export type { MasterConfig } from './types.js';

/** The master's flag table (also printed by `/flags`). */
export const MASTER_FLAGS: readonly FlagSpec[] = MASTER_FLAG_SPECS;

/** A listening master; stop() cancels every timer, closes every stream and the server. */
export interface RunningMaster {
  readonly url: string;
  readonly port: number;
  readonly masterId: string;
  stop(): Promise<void>;
}

/** Injected dependencies (all optional): tests pass a FakeClock, a silent logger, a seeded Rng or a Store. */
export interface MasterStartDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly rng?: Rng;
  /** Overrides the DRF allocator (tests). */
  readonly allocator?: Allocator;
  /** Overrides the SQLite store in work_dir (tests; the ZooKeeper store under --zk). */
  readonly store?: Store;
  /** The master id to use (under --zk it is already advertised in the election node). */
  readonly masterId?: MasterId;
  /** Under --zk: whether this master may still act as leader (checked before each allocation cycle). */
  readonly isLeader?: () => boolean;
}

function numFlag(flags: FlagValues, name: string, fallback: number): number {
  const v = flags[name];
  return typeof v === 'number' ? v : fallback;
}

/** Resolves MasterConfig from flags; `port` is the actual listening port. */
export function masterConfig(flags: FlagValues, port: number): MasterConfig {
  const ip = typeof flags['ip'] === 'string' ? flags['ip'] : '127.0.0.1';
  const hostname = typeof flags['hostname'] === 'string' && flags['hostname'] !== '' ? flags['hostname'] : ip;
  const roles = typeof flags['roles'] === 'string' ? flags['roles'].split(',').map((r) => r.trim()).filter((r) => r !== '') : undefined;
  const offerTimeout = flags['offer_timeout'];
  return {
    ip,
    port,
    hostname,
    allocationIntervalMs: numFlag(flags, 'allocation_interval', 1000),
    offerTimeoutMs: typeof offerTimeout === 'number' ? offerTimeout : undefined,
    agentPingTimeoutMs: numFlag(flags, 'agent_ping_timeout', 15_000),
    maxAgentPingTimeouts: numFlag(flags, 'max_agent_ping_timeouts', 5),
    agentReregisterTimeoutMs: numFlag(flags, 'agent_reregister_timeout', 600_000),
    agentRemovalRate: typeof flags['agent_removal_rate_limit'] === 'string' && flags['agent_removal_rate_limit'] !== '' ? parseRemovalRate(flags['agent_removal_rate_limit']) : undefined,
    heartbeatIntervalMs: numFlag(flags, 'heartbeat_interval', 5000),
    maxCompletedFrameworks: numFlag(flags, 'max_completed_frameworks', 50),
    maxCompletedTasksPerFramework: numFlag(flags, 'max_completed_tasks_per_framework', 1000),
    maxOperatorSubscribers: numFlag(flags, 'max_operator_event_stream_subscribers', 1000),
    roles,
    rootSubmissions: flags['root_submissions'] !== false,
  };
}

/** A master, not yet listening: for in-process tests (Fastify inject) and for startMaster. */
export interface BuiltMaster {
  readonly master: Master;
  readonly app: FastifyInstance;
  readonly store: Store;
}

/** Builds the Master and its HTTP app and recovers the registry; does not listen. */
export async function buildMaster(flags: FlagValues, port: number, deps: MasterStartDeps = {}): Promise<BuiltMaster> {
  const workDir = flags['work_dir'];
  if (deps.store === undefined && (typeof workDir !== 'string' || workDir === '')) throw invalid('Flag --work_dir is required');
  const clock = deps.clock ?? new SystemClock();
  const logger = deps.logger ?? createLogger('master');
  let store = deps.store;
  if (store === undefined) {
    mkdirSync(String(workDir), { recursive: true });
    store = new SqliteStore(join(String(workDir), 'registry.db'));
  }
  const config = masterConfig(flags, port);
  let weights: Map<string, number>;
  try {
    weights = parseWeightsFlag(typeof flags['weights'] === 'string' ? flags['weights'] : '');
  } catch (e: unknown) {
    throw invalid(e instanceof Error ? e.message : String(e));
  }
  const seed = randomSeed();
  const rng = deps.rng ?? new SeededRng(seed);
  const allocator =
    deps.allocator ??
    new DrfAllocator(
      {
        allocationIntervalMs: config.allocationIntervalMs,
        minAllocatable: DEFAULT_MIN_ALLOCATABLE,
        filterGpuResources: flags['filter_gpu_resources'] !== false,
        roleWeights: weights,
      },
      rng.fork('allocator'),
    );
  const masterId = deps.masterId ?? (newUuid() as MasterId);
  logger.info({ masterId, seed: rng.seed }, 'master starting');
  const master = new Master({ config, masterId, clock, logger, allocator, registry: new Registry(store), initialWeights: weights, ...(deps.isLeader === undefined ? {} : { isLeader: deps.isLeader }) });
  await master.recover();
  const app = createHttpServer({ bodyLimitBytes: numFlag(flags, 'max_body_size', DEFAULT_BODY_LIMIT) });
  registerSchedulerRoutes(app, master);
  registerAgentRoutes(app, master);
  registerOperatorRoutes(app, master, flags);
  registerRoleRoutes(app, master);
  registerReservationRoutes(app, master);
  registerMaintenanceRoutes(app, master);
  return { master, app, store };
}

/** Starts a master: registry recovery, HTTP server on ip:port (0 = ephemeral), allocation timer. */
export async function startMaster(flags: FlagValues, deps: MasterStartDeps = {}): Promise<RunningMaster> {
  const ip = typeof flags['ip'] === 'string' ? flags['ip'] : '127.0.0.1';
  const requestedPort = numFlag(flags, 'port', 5050);
  // --zk: contend for leadership on ZooKeeper (src/master/ha.ts); without it nothing below changes.
  if (typeof flags['zk'] === 'string' && flags['zk'] !== '') {
    const { startHaMaster } = await import('./ha.js');
    return startHaMaster(flags, deps, requestedPort !== 0 ? requestedPort : await freePort(ip));
  }
  // The advertised port must be the real one, so an ephemeral port is picked first; if another process
  // grabs it before we listen, pick again.
  for (let attempt = 0; ; attempt++) {
    const port = requestedPort !== 0 ? requestedPort : await freePort(ip);
    const built = await buildMaster(flags, port, deps);
    try {
      await built.app.listen({ host: ip, port });
    } catch (e: unknown) {
      await built.master.stop();
      await built.app.close();
      if (deps.store === undefined) await built.store.close();
      const inUse = e instanceof Error && 'code' in e && e.code === 'EADDRINUSE';
      if (requestedPort === 0 && inUse && attempt < 5) continue;
      throw e;
    }
    built.master.start();
    return running(built, ip, port, deps);
  }
}

async function freePort(ip: string): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, ip, () => {
      const addr = srv.address();
      const p = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(p));
    });
  });
}

function running(built: BuiltMaster, ip: string, port: number, deps: MasterStartDeps): RunningMaster {
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${ip}:${port}`,
    port,
    masterId: built.master.masterId,
    stop: () => {
      stopping ??= (async () => {
        await built.master.stop();
        await built.app.close();
        if (deps.store === undefined) await built.store.close();
      })();
      return stopping;
    },
  };
}
