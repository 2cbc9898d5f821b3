/**
 * A simulated agent fleet in one process (ADR 0041): N SimAgents, each with its own SUBSCRIBE connection
 * and a stable agent id, following a fixed master URL or the leader of a zk:// group (one ZooKeeper
 * session for the whole fleet). Registration storms are bounded: at most `concurrency` SUBSCRIBEs are in
 * flight, and every (re-)registration starts after a random share of the back-off, as real agents do.
 */
import { setMaxListeners } from 'node:events';
import { SystemClock, type Clock, type Timer } from '../core/clock.js';
import { SeededRng, randomSeed, type Rng } from '../core/rng.js';
import { silentLogger, type Logger } from '../core/log.js';
import { parseResources } from '../core/resources.js';
import type { AgentInfoJson, ResourceJson, TaskInfoJson, TaskStatusJson } from '../api/mesos/common.js';
import { ZkMasterDetector, isZkUrl, masterHostPort, parseZkUrl } from '../coordination/index.js';
import { parseAttributes } from '../agent/config.js';
import { SimAgent, type SimContext, type SimCounters, type TaskBehaviour } from './sim-agent.js';
import { callDispatcherForFleet } from './sim-http.js';
import { Slots } from './slots.js';

export type { TaskBehaviour } from './sim-agent.js';

export interface FleetOptions {
  /** `host:port`, `http://host:port`, or `zk://h1:2181,.../path` to follow the leading master. */
  readonly master: string;
  readonly agents: number;
  /** Agent `--resources` syntax (default `cpus:4;mem:8192;disk:10000;ports:[31000-32000]`). */
  readonly resources?: string;
  /** Hostname of agent i is `<prefix><i>` (default `sim-agent-`). */
  readonly hostnamePrefix?: string;
  /** Agent `--attributes` syntax, the same for every agent (e.g. `rack:r1;zone:a`). */
  readonly attributes?: string;
  /** SUBSCRIBEs in flight at most (default 200). */
  readonly concurrency?: number;
  /** What each launched task does (default: keeps running). */
  readonly taskBehaviour?: (task: TaskInfoJson) => TaskBehaviour;
  /** Delay before a 'finish'/'fail' task ends (default 0: RUNNING then the end state at once). */
  readonly finishDelayMs?: number;
  /** TASK_RUNNING of a task with a `health_check` carries `healthy: true` (default false: no `healthy`). */
  readonly reportHealthy?: boolean;
  /** Registration back-off factor (default 1 s, like the agent's `--registration_backoff_factor`). */
  readonly backoffMs?: number;
  readonly backoffMaxMs?: number;
  /** Re-send an unacknowledged status update after this long, doubling per re-send up to 10 min (default 10 s). */
  readonly statusRetryMs?: number;
  /** First fake agent port: agent i reports `basePort + i` so no two share an ip:port (default 20000). */
  readonly basePort?: number;
  /** Shared connections for STATUS_UPDATE calls (default 64; PONGs have their own 16). */
  readonly callConnections?: number;
  readonly zkSessionTimeoutMs?: number;
  readonly clock?: Clock;
  readonly rng?: Rng;
  readonly logger?: Logger;
}

/** Counters and task states of the fleet at one moment. */
export interface FleetStats extends SimCounters {
  readonly agents: number;
  /** Agents holding a stream on which they were REGISTERED. */
  readonly registered: number;
  readonly tasks: number;
  readonly tasksByState: Readonly<Record<string, number>>;
  /** Tasks with a status update not acknowledged yet. */
  readonly unacknowledged: number;
}

export interface Fleet {
  /** Resolves once every agent is registered at the same time (rejects after timeoutMs, default 5 min). */
  ready(timeoutMs?: number): Promise<void>;
  stats(): FleetStats;
  tasks(): { agentId: string | undefined; frameworkId: string; taskId: string; state: TaskStatusJson['state'] }[];
  /**
   * Points a fleet started with a fixed master at another one (e.g. a leader found by a detector in
   * another process): agents drop streams to any other master and re-register after a short jitter.
   */
  setMaster(master: string): void;
  /** Agent ids in agent order (undefined for one not registered yet). */
  agentIds(): (string | undefined)[];
  /** Closes every stream and the ZooKeeper session; simulated tasks are forgotten. */
  stop(): Promise<void>;
}

export const DEFAULT_SIM_RESOURCES = 'cpus:4;mem:8192;disk:10000;ports:[31000-32000]';

function baseUrl(master: string): string {
  return master.startsWith('http://') || master.startsWith('https://') ? master.replace(/\/+$/, '') : `http://${master}`;
}

/** Starts the fleet; agents begin registering at once (see `ready()`). */
export async function startAgentFleet(opts: FleetOptions): Promise<Fleet> {
  const clock = opts.clock ?? new SystemClock();
  const rng = opts.rng ?? new SeededRng(randomSeed());
  const logger = opts.logger ?? silentLogger();
  const basePort = opts.basePort ?? 20000;
  if (opts.agents < 0 || basePort + opts.agents > 65535) throw new Error(`cannot simulate ${opts.agents} agents from port ${basePort}`);
  const retryMs = opts.statusRetryMs ?? 10_000;
  const stopper = new AbortController();
  // Every agent's stream and in-flight call listens on this one signal.
  setMaxListeners(0, stopper.signal);
  const slots = new Slots(opts.concurrency ?? 200);
  const calls = callDispatcherForFleet(opts.callConnections ?? 64);
  const pongs = callDispatcherForFleet(16);
  let detector: ZkMasterDetector | undefined;
  let fixed: string | undefined;
  if (isZkUrl(opts.master)) {
    detector = await ZkMasterDetector.start(parseZkUrl(opts.master), { sessionTimeoutMs: opts.zkSessionTimeoutMs ?? 10_000, clock });
  } else {
    fixed = baseUrl(opts.master);
  }
  const stats: SimCounters = { registrations: 0, reregistrations: 0, updatesSent: 0, updatesAcked: 0, subscribeFailures: 0, failuresByCause: {} };
  const agents: SimAgent[] = [];
  let registeredNow = 0;
  const waiters = new Set<() => void>();
  const ctx: SimContext = {
    clock,
    rng,
    logger,
    calls,
    pongs,
    signal: stopper.signal,
    masterBase: () => {
      if (fixed !== undefined) return fixed;
      const leader = detector?.leader;
      return leader === undefined ? undefined : `http://${masterHostPort(leader)}`;
    },
    acquire: () => slots.acquire(),
    behaviour: opts.taskBehaviour ?? (() => 'run'),
    finishDelayMs: opts.finishDelayMs ?? 0,
    reportHealthy: opts.reportHealthy ?? false,
    backoffMs: opts.backoffMs ?? 1000,
    backoffMaxMs: opts.backoffMaxMs ?? 60_000,
    statusRetryMs: retryMs,
    stats,
    onRegistered: () => {
      registeredNow++;
      if (registeredNow === agents.length) for (const w of [...waiters]) w();
    },
    onUnregistered: () => {
      registeredNow--;
    },
  };
  const resources = parseResources(opts.resources ?? DEFAULT_SIM_RESOURCES).toWire('pre', false) as ResourceJson[];
  const attributes = parseAttributes(opts.attributes);
  const prefix = opts.hostnamePrefix ?? 'sim-agent-';
  for (let i = 0; i < opts.agents; i++) {
    const info: AgentInfoJson = { hostname: `${prefix}${i}`, port: basePort + i, resources, ...(attributes.length > 0 ? { attributes } : {}) };
    agents.push(new SimAgent(ctx, info.hostname, info));
  }
  detector?.onChange((leader) => {
    logger.info({ leader: leader === undefined ? undefined : masterHostPort(leader) }, 'simulated fleet: leading master changed');
    if (leader !== undefined) for (const a of agents) a.leaderChanged(`http://${masterHostPort(leader)}`);
  });
  const sweep: Timer = clock.every(Math.max(250, Math.floor(retryMs / 4)), () => {
    const now = clock.now();
    for (const a of agents) a.retryDue(now);
  });
  for (const a of agents) a.start();

  return {
    ready: (timeoutMs = 300_000) =>
      new Promise<void>((resolve, reject) => {
        if (registeredNow === agents.length) return resolve();
        const timer = clock.after(timeoutMs, () => {
          waiters.delete(done);
          reject(new Error(`only ${registeredNow} of ${agents.length} simulated agents registered after ${timeoutMs} ms`));
        });
        const done = (): void => {
          timer.cancel();
          waiters.delete(done);
          resolve();
        };
        waiters.add(done);
      }),
    stats: () => {
      const byState: Record<string, number> = {};
      let tasks = 0;
      let unacknowledged = 0;
      for (const a of agents) {
        unacknowledged += a.unacknowledged();
        for (const t of a.tasks()) {
          tasks++;
          byState[t.state] = (byState[t.state] ?? 0) + 1;
        }
      }
      return { ...stats, failuresByCause: { ...stats.failuresByCause }, agents: agents.length, registered: registeredNow, tasks, tasksByState: byState, unacknowledged };
    },
    tasks: () => agents.flatMap((a) => [...a.tasks()]),
    agentIds: () => agents.map((a) => a.id),
    setMaster: (master) => {
      if (detector !== undefined) throw new Error('this fleet follows ZooKeeper');
      fixed = baseUrl(master);
      for (const a of agents) a.leaderChanged(fixed);
    },
    stop: async () => {
      stopper.abort(new Error('fleet stopped'));
      sweep.cancel();
      slots.close();
      await Promise.all(agents.map((a) => a.stop()));
      await detector?.close();
      await calls.destroy();
      await pongs.destroy();
    },
  };
}
