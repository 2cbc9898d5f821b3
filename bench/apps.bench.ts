/**
 * Apps benchmark on real daemons: a master, one local agent and `agora apps` as child processes. One app of
 * `sleep 600` (cpus 0.01, mem 1, one port) is scaled 0 → 200 instances with `PUT /v2/apps/{id}`; measured:
 * seconds from the PUT to the moment `/v2/apps/{id}` reports all 200 running (and the deployment gone),
 * and tasks/s. Three configurations of `--max_instances_per_offer`: 5 (the default), 50 and 200, each
 * after a warm-up (5 instances up and down) and timed REPS times (median and min). Ticks and revives are
 * fast (200ms) as in the integration tests, so the numbers reflect launching, not idle waiting.
 * Everything is deleted and every process killed at the end.
 */
import { performance } from 'node:perf_hooks';
import type { BenchResult } from './harness.js';
import { median, round } from './harness.js';
import { cleanupAll, freePort, killPids, spawnAgora, startAgent, startMaster, tempDir, waitFor, type Daemon, type Spawned } from '../test/helpers/index.js';
import { isHealthy } from '../test/helpers/daemons.js';

const INSTANCES = 200;
const APP_ID = '/bench/sleep';
const RUNNING_DEADLINE_MS = 180_000;
const REPS = 2;

interface AppCounts {
  instances: number;
  tasksRunning: number;
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

async function startApps(master: Daemon, perOffer: number): Promise<{ url: string; proc: Spawned }> {
  const workDir = tempDir('agora-apps-bench-');
  const port = await freePort();
  const proc = spawnAgora(`apps-${port}`, [
    'apps', '--port', String(port), '--master', master.hostPort, '--work_dir', workDir,
    '--tick_interval', '200ms', '--min_revive_offers_interval', '200ms', '--decline_offer_duration', '1secs',
    '--max_instances_per_offer', String(perOffer),
  ], workDir);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (proc.exitCode() !== undefined) throw new Error(`agora apps exited: ${proc.log().slice(-2000)}`);
    return isHealthy(url);
  }, { timeoutMs: 30_000, what: 'agora apps /health' });
  return { url, proc };
}

/** PUTs `instances` and resolves with ms until that many run and no deployment is left. */
async function scaleTo(apps: string, instances: number, deadlineMs: number): Promise<number> {
  const t0 = performance.now();
  const put = await call('PUT', `${apps}/v2/apps${APP_ID}?force=true`, { instances });
  if (put.status !== 200) throw new Error(`scale to ${instances}: HTTP ${put.status} ${JSON.stringify(put.json)}`);
  await waitFor(async () => {
    const c = await counts(apps);
    return c !== undefined && c.tasksRunning === instances && c.tasksStaged === 0 && c.deployments.length === 0;
  }, { timeoutMs: deadlineMs, intervalMs: 50, what: `${instances} running instances of ${APP_ID}` });
  return performance.now() - t0;
}

async function masterRunning(master: Daemon): Promise<number> {
  const r = await call('GET', `${master.url}/master/state`);
  const state = r.json as { frameworks: { tasks: { state: string }[] }[] };
  return state.frameworks.reduce((n, f) => n + f.tasks.filter((t) => t.state === 'TASK_RUNNING').length, 0);
}

async function oneConfiguration(master: Daemon, perOffer: number): Promise<{ ms: number[] }> {
  const { url, proc } = await startApps(master, perOffer);
  const created = await call('POST', `${url}/v2/apps`, { id: APP_ID, cmd: 'sleep 600', cpus: 0.01, mem: 1, disk: 0, instances: 0 });
  if (created.status !== 201) throw new Error(`create: HTTP ${created.status} ${JSON.stringify(created.json)}`);
  // Warm-up: the framework's first offers, the agent's first launches, JIT.
  await scaleTo(url, 5, 60_000);
  await scaleTo(url, 0, 60_000);
  await waitFor(async () => (await masterRunning(master)) === 0, { timeoutMs: 60_000, what: 'warm-up tasks gone' });
  const ms: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    if (rep > 0) {
      await scaleTo(url, 0, 120_000);
      await waitFor(async () => (await masterRunning(master)) === 0, { timeoutMs: 120_000, intervalMs: 200, what: 'tasks of the previous run gone' });
    }
    ms.push(await scaleTo(url, INSTANCES, RUNNING_DEADLINE_MS));
  }
  // Clean up: delete the app and wait until the master has no running task left.
  const del = await call('DELETE', `${url}/v2/apps${APP_ID}?force=true`);
  if (del.status !== 200) throw new Error(`delete: HTTP ${del.status}`);
  await waitFor(async () => (await masterRunning(master)) === 0, { timeoutMs: 120_000, intervalMs: 200, what: 'every task killed' });
  await proc.stop();
  return { ms };
}

export async function run(): Promise<BenchResult> {
  const rows: Array<Record<string, string | number>> = [];
  const summary: Record<string, number | string> = {};
  try {
    const master = await startMaster({ flags: { allocation_interval: '100ms' } });
    await startAgent({ master, resources: 'cpus:8;mem:8000;disk:10000;ports:[31000-32000]', flags: { status_update_retry_interval: '10secs' } });
    for (const perOffer of [5, 50, 200]) {
      const r = await oneConfiguration(master, perOffer);
      const med = median(r.ms) / 1000;
      const min = Math.min(...r.ms) / 1000;
      rows.push({
        configuration: `0 → ${INSTANCES}, max_instances_per_offer ${perOffer}`,
        runs: r.ms.length,
        'seconds (median)': round(med, 2),
        'seconds (min)': round(min, 2),
        'tasks/s (median)': round(INSTANCES / med, 1),
      });
      summary[`seconds_to_running_per_offer_${perOffer}`] = round(med, 2);
      summary[`tasks_per_s_per_offer_${perOffer}`] = round(INSTANCES / med, 1);
    }
    summary.anchor = 'Marathon ≈ 35 tasks/s (500 instances in 14.2 s on 189 agents)';
    return { name: 'apps', rows, summary };
  } finally {
    const strays = await cleanupAll();
    if (strays.length > 0) killPids(strays);
  }
}
