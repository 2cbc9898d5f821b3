/**
 * `agora apps`: a Marathon-compatible framework for long-running services, built only on the scheduler SDK.
 * startApps opens the state store (SQLite in --work_dir), loads apps/instances/deployments, serves `/v2`,
 * subscribes to the master (re-using the stored framework id), and ticks the reconciler and health checks.
 */
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { SystemClock } from '../core/clock.js';
import { SeededRng, randomSeed } from '../core/rng.js';
import { silentLogger } from '../core/log.js';
import { errorMessage, invalid } from '../core/errors.js';
import { num, str, type FlagValues } from '../core/flags.js';
import { SqliteStore } from '../coordination/index.js';
import { createHttpServer } from '../transport/http-server.js';
import { SchedulerClient } from '../scheduler/index.js';
import type { FrameworkInfoJson } from '../api/mesos/common.js';
import { AppsRepo } from './state/repo.js';
import { AppsState } from './service/state.js';
import { AppsRuntime } from './service/runtime.js';
import { AppChanges } from './service/app-changes.js';
import { HealthMonitor } from './health/monitor.js';
import { ReadinessMonitor } from './health/readiness.js';
import { AppsQueries } from './http/queries.js';
import { registerRoutes } from './http/routes.js';
import { infoJson } from './http/info.js';
import { schedulerEvents } from './events/scheduler-events.js';
import { frameworkRoles, roleSync } from './service/framework-roles.js';
import { startHaApps, type AppsLeaderDeps } from './ha.js';

export { APPS_FLAGS } from './flags.js';

export interface RunningApps {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'root';
  }
}

/**
 * `deps.store` replaces the SQLite store (the HA leader passes its ZkStore; the caller closes it) and
 * `deps.advertisedUrl` the URL reported as leader; with `--zk` the HA node of ./ha.ts is started instead.
 */
export async function startApps(flags: FlagValues, deps: AppsLeaderDeps = {}): Promise<RunningApps> {
  const zk = str(flags, 'zk');
  if (zk !== undefined && zk !== '') return startHaApps(flags, deps, startApps);
  const clock = deps.clock ?? new SystemClock();
  const log = deps.logger ?? silentLogger();
  const rng = deps.rng ?? new SeededRng(randomSeed());
  const master = str(flags, 'master');
  const workDir = str(flags, 'work_dir');
  if (master === undefined || master === '') throw invalid('Flag --master is required');
  let store = deps.store;
  if (store === undefined) {
    if (workDir === undefined || workDir === '') throw invalid('Flag --work_dir is required');
    mkdirSync(workDir, { recursive: true });
    store = new SqliteStore(join(workDir, 'apps.db'));
  }
  const ownStore = deps.store === undefined ? store : undefined;
  const repo = new AppsRepo(store);
  const state = new AppsState(repo, clock);
  state.maxRunningDeployments = num(flags, 'max_running_deployments') ?? 100;
  state.mesosRole = str(flags, 'mesos_role') ?? '*';
  await state.load();

  const client = new SchedulerClient({ master, clock, rng: rng.fork('scheduler'), logger: log });
  const runtime = new AppsRuntime(state, client, rng.fork('placement'), log, {
    maxInstancesPerOffer: num(flags, 'max_instances_per_offer') ?? 5,
    declineOfferSeconds: (num(flags, 'decline_offer_duration') ?? 120_000) / 1000,
    minReviveMs: num(flags, 'min_revive_offers_interval') ?? 5_000,
    killRetryMs: num(flags, 'kill_retry_timeout') ?? 30_000,
  });
  const changes = new AppChanges(state, { min: num(flags, 'local_port_min') ?? 10000, max: num(flags, 'local_port_max') ?? 20000 }, (id) => runtime.reconcileUnserialized(id), (id) => runtime.decommissionUnserialized(id));
  changes.seedVersions();
  const readiness = new ReadinessMonitor(state);
  const health = new HealthMonitor(state, (id) => runtime.decommissionUnserialized(id), log);

  const ip = str(flags, 'ip') ?? '127.0.0.1';
  const server = createHttpServer();
  let baseUrl = '';
  registerRoutes(server, {
    state,
    changes,
    queries: new AppsQueries(state),
    baseUrl: () => baseUrl,
    info: () => infoJson(flags, baseUrl, state.frameworkId, deps.ha),
    appVersion: (id, v) => repo.appVersion(id, v),
    appVersions: (id) => repo.appVersions(id),
  });
  await server.listen({ host: ip, port: num(flags, 'port') ?? 8080 });
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  const hostname = str(flags, 'hostname') ?? ip;
  baseUrl = deps.advertisedUrl ?? `http://${hostname}:${port}`;

  const info: FrameworkInfoJson = {
    user: str(flags, 'mesos_user') ?? currentUser(),
    name: str(flags, 'framework_name') ?? 'marathon',
    roles: frameworkRoles(state.mesosRole, state.apps.values()),
    failover_timeout: num(flags, 'failover_timeout') ?? 604800,
    checkpoint: true,
    hostname,
    webui_url: baseUrl,
    capabilities: [{ type: 'MULTI_ROLE' }],
    ...(state.frameworkId !== undefined ? { id: { value: state.frameworkId } } : {}),
  };
  const schedEvents = schedulerEvents(state.events);
  const syncRoles = roleSync(client, info, log);
  void client
    .subscribe(info, {
      onSubscribed: (s) =>
        state.serial(async () => {
          if (state.frameworkId !== s.frameworkId) {
            await repo.putFrameworkId(s.frameworkId);
            state.frameworkId = s.frameworkId;
          }
          const known = [...state.instances.values()].filter((i) => i.state !== 'SCHEDULED').map((i) => ({ taskId: i.taskId, ...(i.agentId !== undefined ? { agentId: i.agentId } : {}) }));
          if (known.length > 0) await client.reconcile(known).catch((e: unknown) => log.warn({ err: errorMessage(e) }, 'reconcile failed'));
          schedEvents.subscribed(s.frameworkId, s.masterInfo);
          log.info({ frameworkId: s.frameworkId }, 'apps framework subscribed');
        }),
      onOffers: (offers) => runtime.onOffers(offers),
      // Not awaited: updates that arrive meanwhile are then handled (stored, acknowledged) as one batch.
      onUpdate: (status) => runtime.enqueueUpdate(status),
      onError: (message) => log.error({ message }, 'apps framework removed by the master'),
      onDisconnected: () => schedEvents.disconnected(),
      onMessage: (agentId, executorId, data) => schedEvents.message(agentId, executorId, data),
    })
    .catch((e: unknown) => log.error({ err: errorMessage(e) }, 'apps framework subscription failed'));

  const tickMs = num(flags, 'tick_interval') ?? 1_000;
  const timer = clock.every(tickMs, () => {
    runtime.tick().catch((e: unknown) => log.warn({ err: errorMessage(e) }, 'apps tick failed'));
    void Promise.all(health.tick());
    void Promise.all(readiness.tick());
    void syncRoles(frameworkRoles(state.mesosRole, state.apps.values()));
  });

  return {
    // An HA leader term is reached by its node's front on the internal address.
    url: deps.advertisedUrl !== undefined ? `http://${ip}:${port}` : baseUrl,
    port,
    async stop() {
      timer.cancel();
      await client.close();
      await server.close();
      await state.serial(() => undefined);
      await ownStore?.close();
    },
  };
}
