/**
 * `agora jobs`: a Chronos-compatible job scheduler built on the scheduler SDK. State (jobs, run records,
 * dependency progress, framework id) lives in a SqliteStore under `--work_dir`; the Chronos API is served
 * on `--port` (4400), with the Metronome-style `/v2` API beside it. See docs/jobs.md.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameworkInfoJson } from '../api/mesos/common.js';
import { SystemClock, type Clock, type Timer } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { FlagSpec, FlagValues } from '../core/flags.js';
import { silentLogger, type Logger } from '../core/log.js';
import { SqliteStore, type Store } from '../coordination/index.js';
import { SchedulerClient } from '../scheduler/index.js';
import { createHttpServer } from '../transport/http-server.js';
import type { JobDefaults } from './api/job-schema.js';
import { JobEngine } from './engine/job-engine.js';
import { registerJobsRoutes } from './http/routes.js';
import { registerV2Routes } from './v2/routes.js';
import { startHaJobs } from './ha.js';

export const JOBS_FLAGS: readonly FlagSpec[] = [
  { name: 'port', type: 'int', default: '4400', help: 'Port of the Chronos API (0 = ephemeral)' },
  { name: 'ip', type: 'string', default: '127.0.0.1', help: 'IP address to listen on' },
  { name: 'hostname', type: 'string', help: 'Hostname advertised as leader and in FrameworkInfo (default: the ip)' },
  { name: 'master', type: 'string', help: 'Master host:port (required)' },
  { name: 'work_dir', type: 'string', help: 'Directory for the jobs state (jobs.db); required' },
  { name: 'failure_retry', type: 'duration', default: '60secs', help: 'Delay before a failed attempt is retried' },
  { name: 'disable_after_failures', type: 'int', default: '0', help: 'Disable a job after this many final failures since its last success (0 = never)' },
  { name: 'reconciliation_retry', type: 'duration', default: '5secs', help: 'Interval between reconciliation requests until answered' },
  { name: 'mesos_task_cpu', type: 'number', default: '0.1', help: 'Default cpus of a job' },
  { name: 'mesos_task_mem', type: 'number', default: '128', help: 'Default mem (MB) of a job' },
  { name: 'mesos_task_disk', type: 'number', default: '256', help: 'Default disk (MB) of a job' },
  { name: 'user', type: 'string', default: 'root', help: 'Default runAsUser of a job' },
  { name: 'mesos_role', type: 'string', default: '*', help: 'Role of the framework' },
  { name: 'mesos_framework_name', type: 'string', default: 'chronos', help: 'Framework name' },
  { name: 'failover_timeout', type: 'int', default: '604800', help: 'Framework failover timeout in seconds' },
  { name: 'job_history_limit', type: 'int', default: '5', help: 'Runs listed by /job/stat' },
  { name: 'zk', type: 'string', help: 'zk://host:port[,host:port]/path: state in ZooKeeper, leader election among instances (HA)' },
  { name: 'zk_session_timeout', type: 'duration', default: '10secs', help: 'ZooKeeper session timeout (with --zk)' },
];

/** Pause before registering as a new framework after the master ended the old one. */
const FRAMEWORK_RETRY_MS = 5_000;

export interface RunningJobs {
  readonly url: string;
  readonly port: number;
  readonly engine: JobEngine;
  stop(): Promise<void>;
}

export interface JobsStartDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly store?: Store;
  /** Public `host:port` of an HA node (its leader term reports it from `/leader`); see ./ha.ts. */
  readonly advertisedHostPort?: string;
}

function str(flags: FlagValues, name: string, dflt?: string): string {
  const v = flags[name];
  if (typeof v === 'string' && v !== '') return v;
  if (dflt !== undefined) return dflt;
  throw new Error(`--${name} is required`);
}

function num(flags: FlagValues, name: string, dflt: number): number {
  const v = flags[name];
  return typeof v === 'number' ? v : dflt;
}

/** Starts the API and subscribes to the master (retrying until it answers). `stop()` leaves tasks running. */
export async function startJobs(flags: FlagValues, deps: JobsStartDeps = {}): Promise<RunningJobs> {
  if (typeof flags['zk'] === 'string' && flags['zk'] !== '') {
    const ha = await startHaJobs(flags, deps, startJobs);
    return {
      url: ha.url,
      port: ha.port,
      // The engine of the current leader term; a standby has none.
      get engine(): JobEngine {
        const r = ha.current();
        if (r === undefined) throw new Error('this jobs node is not the leader');
        return r.engine;
      },
      stop: () => ha.stop(),
    };
  }
  const clock = deps.clock ?? new SystemClock();
  const logger = deps.logger ?? silentLogger();
  const master = str(flags, 'master');
  const ip = str(flags, 'ip', '127.0.0.1');
  let store = deps.store;
  if (store === undefined) {
    const dir = str(flags, 'work_dir');
    mkdirSync(dir, { recursive: true });
    store = new SqliteStore(join(dir, 'jobs.db'));
  }
  const role = str(flags, 'mesos_role', '*');
  const defaults: JobDefaults = { cpus: num(flags, 'mesos_task_cpu', 0.1), mem: num(flags, 'mesos_task_mem', 128), disk: num(flags, 'mesos_task_disk', 256), user: str(flags, 'user', 'root') };
  const engine = new JobEngine({ store, clock, logger, role, failureRetryMs: num(flags, 'failure_retry', 60_000), disableAfterFailures: num(flags, 'disable_after_failures', 0), reconcileIntervalMs: num(flags, 'reconciliation_retry', 5_000) });
  const frameworkId = await engine.load();

  const app = createHttpServer();
  let port = num(flags, 'port', 4400);
  const hostname = (): string => deps.advertisedHostPort ?? `${str(flags, 'hostname', ip)}:${port}`;
  registerJobsRoutes(app, { engine, defaults, now: () => clock.now(), leader: hostname, historyLimit: num(flags, 'job_history_limit', 5) });
  registerV2Routes(app, engine, defaults.user);
  await app.listen({ host: ip, port });
  const addr = app.server.address();
  if (typeof addr === 'object' && addr !== null) port = addr.port;

  const info: FrameworkInfoJson = {
    user: defaults.user,
    name: str(flags, 'mesos_framework_name', 'chronos'),
    role,
    failover_timeout: num(flags, 'failover_timeout', 604_800),
    checkpoint: true,
    hostname: str(flags, 'hostname', ip),
    webui_url: `http://${hostname()}`,
  };
  let client: SchedulerClient | undefined;
  let stopping = false;
  let retry: Timer | undefined;
  // One subscription at a time. If the master ends it for good (framework removed after its failover timeout,
  // or refused), register again as a new framework after a pause: reconciliation then settles every run.
  const connect = (id: string | undefined): void => {
    const c = new SchedulerClient({ master, clock, logger });
    client = c;
    engine.attach(c);
    c.subscribe({ ...info, ...(id !== undefined ? { id: { value: id } } : {}) }, {
      onSubscribed: (sub) => engine.onSubscribed(sub.frameworkId),
      onOffers: (offers) => engine.onOffers(offers),
      // Not awaited: updates that arrive while the engine is busy are handled (and written) in one batch (ADR 0045).
      onUpdate: (status) => void engine.onUpdate(status).catch((e: unknown) => logger.warn({ err: errorMessage(e) }, 'status update failed')),
      onRescind: (offerId) => engine.onRescind(offerId),
      onDisconnected: () => engine.onDisconnected(),
      onError: (message) => logger.error({ message }, 'the master ended the jobs framework'),
    }).catch((e: unknown) => logger.warn({ err: errorMessage(e) }, 'jobs framework subscription ended'));
    void c.finished().then((fatal) => {
      if (fatal === undefined || stopping) return;
      engine.onDisconnected();
      retry = clock.after(FRAMEWORK_RETRY_MS, () => connect(undefined));
    });
  };
  connect(frameworkId);

  const ownStore = deps.store === undefined ? store : undefined;
  return {
    url: `http://${ip}:${port}`,
    port,
    engine,
    stop: async () => {
      stopping = true;
      retry?.cancel();
      await client?.close();
      await engine.stop();
      await app.close();
      await ownStore?.close();
    },
  };
}
