/**
 * Apps benchmark (issue 7), three measurements in one command:
 * 1. Simulated agents: a real `agora master` and `agora apps` (child processes) and a fleet of simulated
 *    agents in a third child process (bench/fleet-child.ts, src/simulator: tasks run at once and report
 *    `healthy: true` for their MESOS_TCP check). One app (cpus 0.01, mem 8, one port, a MESOS_TCP health
 *    check) is scaled 0 → 1,000 with `PUT /v2/apps/{id}`; measured: seconds from the PUT until
 *    `/v2/apps/{id}` shows 1,000 running AND healthy tasks and no deployment, and tasks/s. Master and apps run
 *    with their default flags except `--max_instances_per_offer`, which the rows vary.
 * 2. Real agents: the same app shape as `sleep 600` on one local `agora agent`, 0 → 200 instances (fast
 *    ticks and revives, 200ms, as in the integration tests, so the number reflects launching).
 * 3. `GET /v2/apps?embed=apps.tasks` with 1,000 apps / 10,000 tasks (bench/apps-embed.bench.ts).
 * Each scale-up follows a warm-up (a few instances up and down). Everything is deleted and every process
 * killed at the end.
 */
import { performance } from 'node:perf_hooks';
import type { BenchResult } from './harness.js';
import { median, round } from './harness.js';
import { run as runEmbed } from './apps-embed.bench.js';
import { startFleetChild, type FleetChild } from './fleet-child.js';
import { cleanupAll, freePort, killPids, spawnAgora, startAgent, startMaster, tempDir, waitFor, type Daemon, type Spawned } from '../test/helpers/index.js';
import { isHealthy } from '../test/helpers/daemons.js';

const APP_ID = '/bench/app';
/** Simulated agents: 50 × 16 cpus, 64 GB (1,000 instances need 10 cpus, 8 GB, 1,000 ports). */
const SIM_AGENTS = 50;
const SIM_RESOURCES = 'cpus:16;mem:65536;disk:100000;ports:[31000-32000]';
const SIM_INSTANCES = 1_000;
/** `--max_instances_per_offer` values of the simulated rows (`AGORA_BENCH_APPS_PER_OFFER=5,100` by default). */
const SIM_PER_OFFER = (process.env.AGORA_BENCH_APPS_PER_OFFER ?? '5,100').split(',').map(Number);
const REAL_INSTANCES = 200;
const REAL_PER_OFFER = [5, 50];
const RUNNING_DEADLINE_MS = 180_000;
/** `AGORA_BENCH_APPS=sim,real,embed` (the default) picks which measurements run (e.g. `sim` while profiling). */
/** `AGORA_BENCH_APPS_TRACE=1` prints the app's counts over time during each scale (to see where time goes). */
const TRACE = process.env.AGORA_BENCH_APPS_TRACE === '1';
const PARTS = new Set((process.env.AGORA_BENCH_APPS ?? 'sim,real,embed').split(',').map((p) => p.trim()));

interface AppCounts {
  instances: number;
  tasksRunning: number;
  tasksHealthy: number;
  tasksStaged: number;
  deployments: unknown[];
}

async function call(method: string, url: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

async function counts(apps: string): Promise<AppCounts | undefined> {
  const r = await call('GET', `${apps}/v2/apps${APP_ID}`);
  return r.status === 200 ? (r.json as { app: AppCounts }).app : undefined;
}

async function startApps(master: Daemon, perOffer: number, fast: boolean): Promise<{ url: string; proc: Spawned }> {
  const workDir = tempDir('agora-apps-bench-');
  const port = await freePort();
  const proc = spawnAgora(`apps-${port}`, [
    'apps', '--port', String(port), '--master', master.hostPort, '--work_dir', workDir,
    ...(fast ? ['--tick_interval', '200ms', '--min_revive_offers_interval', '200ms', '--decline_offer_duration', '1secs'] : []),
    '--max_instances_per_offer', String(perOffer),
  ], workDir);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (proc.exitCode() !== undefined) throw new Error(`agora apps exited: ${proc.log().slice(-2000)}`);
    return isHealthy(url);
  }, { timeoutMs: 30_000, what: 'agora apps /health' });
  return { url, proc };
}

/**
 * PUTs `instances` and resolves with ms until that many run (and are healthy) and no deployment is left.
 * Polls the cheap `/v2/deployments` every 20 ms and reads the app (1,000 tasks of JSON) only once its
 * deployment is gone, so that the polling does not take the framework's CPU time from the launches.
 */
async function scaleTo(apps: string, instances: number, healthy: boolean, deadlineMs: number): Promise<number> {
  const t0 = performance.now();
  const put = await call('PUT', `${apps}/v2/apps${APP_ID}?force=true`, { instances });
  if (put.status !== 200) throw new Error(`scale to ${instances}: HTTP ${put.status} ${JSON.stringify(put.json)}`);
  if (TRACE) process.stderr.write(`  ${Math.round(performance.now() - t0)} ms: PUT instances=${instances} answered\n`);
  let last = '';
  await waitFor(async () => {
    if (!TRACE) {
      const d = await call('GET', `${apps}/v2/deployments`);
      if ((d.json as { affectedApps: string[] }[]).some((x) => x.affectedApps.includes(APP_ID))) return false;
    }
    const c = await counts(apps);
    const line = c === undefined ? '-' : `staged ${c.tasksStaged} running ${c.tasksRunning} healthy ${c.tasksHealthy} deployments ${c.deployments.length}`;
    if (TRACE && line !== last) process.stderr.write(`  ${Math.round(performance.now() - t0)} ms: ${line}\n`);
    last = line;
    return c !== undefined && c.tasksRunning === instances && c.tasksStaged === 0 && c.deployments.length === 0 && (!healthy || c.tasksHealthy === instances);
  }, { timeoutMs: deadlineMs, intervalMs: 20, what: `${instances} running instances of ${APP_ID}` });
  return performance.now() - t0;
}

async function masterRunning(master: Daemon): Promise<number> {
  const r = await call('GET', `${master.url}/master/state`);
  const state = r.json as { frameworks: { tasks: { state: string }[] }[] };
  return state.frameworks.reduce((n, f) => n + f.tasks.filter((t) => t.state === 'TASK_RUNNING').length, 0);
}

interface Shape {
  readonly instances: number;
  readonly app: Record<string, unknown>;
  readonly healthy: boolean;
  /** Fast ticks and revives (200ms) instead of the defaults. */
  readonly fast: boolean;
  readonly reps: number;
}

async function oneConfiguration(master: Daemon, perOffer: number, shape: Shape): Promise<number[]> {
  const { url, proc } = await startApps(master, perOffer, shape.fast);
  const created = await call('POST', `${url}/v2/apps`, { id: APP_ID, ...shape.app, instances: 0 });
  if (created.status !== 201) throw new Error(`create: HTTP ${created.status} ${JSON.stringify(created.json)}`);
  const gone = async (ms: number): Promise<void> => void await waitFor(async () => (await masterRunning(master)) === 0, { timeoutMs: ms, intervalMs: 200, what: 'tasks of the previous run gone' });
  // Warm-up (a tenth of the scale): the framework's first offers, the agents' first launches, JIT.
  await scaleTo(url, Math.max(5, shape.instances / 10), shape.healthy, 60_000);
  await scaleTo(url, 0, false, 60_000);
  await gone(60_000);
  const ms: number[] = [];
  for (let rep = 0; rep < shape.reps; rep++) {
    if (rep > 0) {
      await scaleTo(url, 0, false, 120_000);
      await gone(120_000);
    }
    // Each timed scale-up starts on an idle framework: its last REVIVE (the warm-up's or the previous
    // run's) is older than --min_revive_offers_interval (default 5 s), which would otherwise delay it.
    await new Promise((r) => setTimeout(r, shape.fast ? 500 : 5_500));
    ms.push(await scaleTo(url, shape.instances, shape.healthy, RUNNING_DEADLINE_MS));
  }
  const del = await call('DELETE', `${url}/v2/apps${APP_ID}?force=true`);
  if (del.status !== 200) throw new Error(`delete: HTTP ${del.status}`);
  await gone(120_000);
  await proc.stop();
  return ms;
}

function row(what: string, perOffer: number, instances: number, ms: number[]): Record<string, string | number> {
  const med = median(ms) / 1000;
  return {
    configuration: `${what}: 0 → ${instances}, max_instances_per_offer ${perOffer}`,
    runs: ms.length,
    'seconds (median)': round(med, 2),
    'seconds (min)': round(Math.min(...ms) / 1000, 2),
    'tasks/s (median)': round(instances / med, 1),
  };
}

async function simulated(rows: Array<Record<string, string | number>>, summary: Record<string, number | string>): Promise<void> {
  const master = await startMaster({ name: 'bench-apps-sim-master' });
  let fleet: FleetChild | undefined;
  try {
    fleet = startFleetChild({ master: master.hostPort, agents: SIM_AGENTS, resources: SIM_RESOURCES, reportHealthy: true });
    await fleet.ready;
    const shape: Shape = {
      instances: SIM_INSTANCES, healthy: true, fast: false, reps: 3,
      app: { cmd: 'sleep 600', cpus: 0.01, mem: 8, disk: 0, portDefinitions: [{ port: 0 }], healthChecks: [{ protocol: 'MESOS_TCP', portIndex: 0 }] },
    };
    for (const perOffer of SIM_PER_OFFER) {
      const ms = await oneConfiguration(master, perOffer, shape);
      rows.push(row(`${SIM_AGENTS} simulated agents, running+healthy`, perOffer, SIM_INSTANCES, ms));
      summary[`sim_tasks_per_s_per_offer_${perOffer}`] = round(SIM_INSTANCES / (median(ms) / 1000), 1);
      summary[`sim_seconds_per_offer_${perOffer}`] = round(median(ms) / 1000, 2);
    }
    const st = await fleet.stats();
    summary.sim_fleet_loop_delay_max_ms = st.loopDelayMaxMs;
  } finally {
    await fleet?.stop();
    await master.stop();
  }
}

async function realAgent(rows: Array<Record<string, string | number>>, summary: Record<string, number | string>): Promise<void> {
  const master = await startMaster({ name: 'bench-apps-real-master', flags: { allocation_interval: '100ms' } });
  const agent = await startAgent({ master, resources: 'cpus:8;mem:8000;disk:10000;ports:[31000-32000]', flags: { status_update_retry_interval: '10secs' } });
  try {
    const shape: Shape = { instances: REAL_INSTANCES, healthy: false, fast: true, reps: 2, app: { cmd: 'sleep 600', cpus: 0.01, mem: 1, disk: 0 } };
    for (const perOffer of REAL_PER_OFFER) {
      const ms = await oneConfiguration(master, perOffer, shape);
      rows.push(row('1 real agent (sleep 600)', perOffer, REAL_INSTANCES, ms));
      summary[`real_seconds_per_offer_${perOffer}`] = round(median(ms) / 1000, 2);
    }
  } finally {
    await agent.stop();
    await master.stop();
  }
}

export async function run(): Promise<BenchResult> {
  const rows: Array<Record<string, string | number>> = [];
  const summary: Record<string, number | string> = {};
  try {
    if (PARTS.has('sim')) await simulated(rows, summary);
    if (PARTS.has('real')) await realAgent(rows, summary);
    if (PARTS.has('embed')) {
      const embed = await runEmbed();
      for (const r of embed.rows) rows.push({ configuration: `embed: ${String(r.measure)}`, value: r.value ?? '' });
      for (const [k, v] of Object.entries(embed.summary)) summary[`embed_${k}`] = v;
    }
    summary.anchor = 'Marathon ≈ 35 tasks/s (500 instances in 14.2 s on 189 agents)';
    return { name: 'apps', rows, summary };
  } finally {
    const strays = await cleanupAll();
    if (strays.length > 0) killPids(strays);
  }
}
