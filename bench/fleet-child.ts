/**
 * Child-process entry of a simulated agent fleet (src/simulator) for benchmarks that must not share the
 * master's or the framework's CPU time slice (`npm run bench -- apps`, `jobs`). Options come as JSON in argv[2]
 * (the serialisable subset of FleetOptions); tasks keep running. It sends {type:'ready', ms} once every agent
 * is registered (or {type:'error', message}); it answers 'stats' with {type:'stats', stats} (fleet counters
 * plus its own event-loop delay, so a saturated fleet is visible), follows {type:'leader', url}, and stops on 'stop'
 * or when the parent goes.
 * Use `startFleetChild` from the parent side.
 */
import { fork } from 'node:child_process';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startAgentFleet, type FleetOptions, type FleetStats, type TaskBehaviour } from '../src/simulator/index.js';

/** What a fleet child can be given (FleetOptions without functions and injected dependencies). */
export type FleetChildOptions = Pick<FleetOptions, 'master' | 'agents' | 'resources' | 'concurrency' | 'backoffMs' | 'reportHealthy' | 'statusRetryMs' | 'finishDelayMs'> & {
  /** What every task does (FleetOptions.taskBehaviour for all tasks; default 'run'). */
  readonly behaviour?: TaskBehaviour;
};

export type FleetChildStats = FleetStats & { readonly loopDelayMaxMs: number; readonly loopDelayP99Ms: number };

/** The parent's handle on a fleet child. */
export interface FleetChild {
  /** Resolves with ms until every agent registered; rejects if the fleet fails or exits first. */
  readonly ready: Promise<number>;
  stats(): Promise<FleetChildStats>;
  /** Points the fleet at another master (FleetOptions.master fixed; e.g. a leader found by the parent). */
  follow(master: string): void;
  /** Asks the child to stop (SIGKILL after 10 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Forks this file with `opts` (run under tsx, as `npm run bench` is). */
export function startFleetChild(opts: FleetChildOptions): FleetChild {
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(opts)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const statsWaiters: Array<(s: FleetChildStats) => void> = [];
  const ready = new Promise<number>((resolve, reject) => {
    child.on('message', (m: { type?: string; ms?: number; message?: string; stats?: FleetChildStats }) => {
      if (m.type === 'ready') resolve(m.ms ?? 0);
      if (m.type === 'error') reject(new Error(m.message ?? 'fleet failed'));
      if (m.type === 'stats' && m.stats !== undefined) statsWaiters.shift()?.(m.stats);
    });
    child.once('exit', (code) => reject(new Error(`fleet child exited (${code ?? 'signal'})`)));
  });
  ready.catch(() => undefined);
  return {
    ready,
    stats: () =>
      new Promise<FleetChildStats>((resolve) => {
        statsWaiters.push(resolve);
        child.send('stats');
      }),
    follow: (master) => child.send({ type: 'leader', url: master }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function childMain(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as FleetChildOptions;
  const send = (m: unknown): void => {
    process.send?.(m);
  };
  const start = performance.now();
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  const { behaviour, ...fleetOpts } = opts;
  const fleet = await startAgentFleet({ ...fleetOpts, ...(behaviour !== undefined ? { taskBehaviour: () => behaviour } : {}) });
  const stop = (): void => void fleet.stop().finally(() => process.exit(0));
  process.on('message', (m: unknown) => {
    if (m === 'stats') send({ type: 'stats', stats: { ...fleet.stats(), loopDelayMaxMs: Math.round(loop.max / 1e6), loopDelayP99Ms: Math.round(loop.percentile(99) / 1e6) } });
    if (m === 'stop') stop();
    if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'leader') fleet.setMaster(String((m as { url?: unknown }).url));
  });
  process.on('disconnect', stop);
  fleet.ready(600_000).then(
    () => send({ type: 'ready', ms: performance.now() - start }),
    (e: unknown) => send({ type: 'error', message: String(e) }),
  );
}

// Only the forked child (it has an IPC channel and is this file) runs the fleet; importers get the helper.
if (process.send !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) await childMain();
