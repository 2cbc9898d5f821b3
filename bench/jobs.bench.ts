/**
 * `npm run bench -- jobs`: the jobs engine (src/jobs) driven against an in-process fake master (offers always
 * large enough, TASK_RUNNING answered at once), plus one real-cluster row (bench/jobs-cluster.ts: a real
 * master, simulated agents, occurrence → the agent's TASK_RUNNING; AGORA_BENCH_CLUSTER=0 skips it).
 *
 * 1. Idle overhead: 100,000 defined jobs (half Chronos ISO 8601, half /v2 cron in Europe/Berlin), none due in
 *    the window: CPU % of this process over 10 s, RSS and heap, and the time to define them (MemoryStore, so the
 *    definition time is the engine's, not SQLite's).
 * 2. Start lateness: 1,000 jobs due in the same instant on a SqliteStore (synchronous=FULL, as in production):
 *    per task, occurrence → the LAUNCH call (the launch decision): p50 / p99 / max.
 *    Rows: five waves of 1,000 Chronos jobs `R1/<t>/PT1H`; one wave of 1,000 /v2 cron jobs (waits for minute
 *    boundaries: about two minutes). Each engine first runs a 200-job warm-up wave of the same kind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchResult } from './harness.js';
import { round } from './harness.js';
import type { FiltersJson, OfferJson, TaskInfoJson, TaskStatusJson } from '../src/api/mesos/common.js';
import { SystemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/log.js';
import { MemoryStore, SqliteStore, type Store } from '../src/coordination/index.js';
import { parseJobBody } from '../src/jobs/api/job-input.js';
import { DEFAULT_JOB_DEFAULTS } from '../src/jobs/api/job-schema.js';
import type { JobsDriver } from '../src/jobs/engine/driver.js';
import { JobEngine } from '../src/jobs/engine/job-engine.js';
import { V2Service } from '../src/jobs/v2/service.js';
import { parseJobSpec, parseScheduleSpec } from '../src/jobs/v2/spec.js';
import type { ReconcileTask } from '../src/scheduler/index.js';
import { clusterLateness } from './jobs-cluster.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let offerSeq = 0;
function bigOffer(): OfferJson {
  offerSeq++;
  return {
    id: { value: `bench-o${offerSeq}` },
    framework_id: { value: 'fw' },
    agent_id: { value: 'a1' },
    hostname: 'bench',
    url: { scheme: 'http', address: { hostname: 'bench', ip: '127.0.0.1', port: 5051 }, path: '/slave(1)' },
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 100_000 } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 100_000_000 } },
      { name: 'disk', type: 'SCALAR', scalar: { value: 100_000_000 } },
    ],
  };
}

/** A master that always has resources: offers on revive, TASK_RUNNING right after each launch. */
class FakeMaster implements JobsDriver {
  engine: JobEngine | undefined;
  readonly launchedAt = new Map<string, number>();
  async launch(_offerIds: readonly string[], tasks: readonly TaskInfoJson[]): Promise<void> {
    const now = Date.now();
    for (const t of tasks) this.launchedAt.set(t.task_id.value, now);
    const engine = this.engine;
    setImmediate(() => {
      for (const t of tasks) void engine?.onUpdate({ task_id: t.task_id, state: 'TASK_RUNNING', agent_id: { value: 'a1' }, uuid: 'dXVpZA==' });
      // The offer was used: a fresh one, as the allocator would send.
      void engine?.onOffers([bigOffer()]);
    });
  }
  async decline(_offerIds: readonly string[], _filters?: FiltersJson): Promise<void> {}
  async revive(): Promise<void> {
    const engine = this.engine;
    setImmediate(() => void engine?.onOffers([bigOffer()]));
  }
  async suppress(): Promise<void> {}
  async kill(_taskId: string): Promise<void> {}
  async reconcile(_tasks: readonly ReconcileTask[]): Promise<void> {}
  async acknowledgeUpdate(_status: TaskStatusJson): Promise<boolean> {
    return true;
  }
}

async function engineOn(store: Store): Promise<{ engine: JobEngine; master: FakeMaster; svc: V2Service }> {
  const engine = new JobEngine({ store, clock: new SystemClock(), logger: silentLogger(), failureRetryMs: 60_000 });
  await engine.load();
  const master = new FakeMaster();
  master.engine = engine;
  engine.attach(master);
  await engine.onSubscribed('fw');
  return { engine, master, svc: new V2Service(engine, 'root') };
}

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function idle(jobs: number): Promise<Record<string, number | string>> {
  const { engine, svc } = await engineOn(new MemoryStore());
  const rssBefore = process.memoryUsage().rss;
  const start = performance.now();
  const far = new Date(Date.now() + 2 * 86_400_000).toISOString();
  for (let i = 0; i < jobs / 2; i++) {
    await engine.putJob(parseJobBody(JSON.stringify({ name: `iso${i}`, command: 'true', schedule: `R/${far}/P1D`, scheduleTimeZone: 'Europe/Berlin' }), 'scheduled', DEFAULT_JOB_DEFAULTS, Date.now()));
    // Yearly on 1 Jan: none due in the window, whatever the date.
    await svc.create(parseJobSpec({ id: `cron${i}`, run: { cmd: 'true' } }).job, [parseScheduleSpec({ id: 's', cron: `${i % 60} 3 1 1 *`, timezone: 'Europe/Berlin' })]);
  }
  const defineS = (performance.now() - start) / 1000;
  global.gc?.();
  await sleep(500);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(10_000);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const mem = process.memoryUsage();
  await engine.stop();
  return {
    scenario: `${jobs.toLocaleString('en')} jobs defined, none due`,
    'define s': round(defineS, 1),
    'idle CPU % (10 s)': round(((cpu.user + cpu.system) / 1000 / wallMs) * 100, 2),
    'RSS MB': round(mem.rss / 1e6, 0),
    'RSS growth MB': round((mem.rss - rssBefore) / 1e6, 0),
    'heap MB': round(mem.heapUsed / 1e6, 0),
  };
}

/** The cron text that fires exactly at `at` (a minute boundary, UTC). */
function cronAt(at: number): string {
  const d = new Date(at);
  return `${d.getUTCMinutes()} ${d.getUTCHours()} ${d.getUTCDate()} ${d.getUTCMonth() + 1} *`;
}

/**
 * Defines `n` jobs due together (ISO: whole second; cron: minute boundary) far enough ahead that defining them
 * (one fsync each on a busy machine) ends before the instant, then returns each one's lateness. `perJobMs` is
 * the definition cost measured so far. A wave whose definition overran its instant is reported as undefined.
 */
async function wave(kind: 'iso' | 'cron', prefix: string, n: number, ctx: Awaited<ReturnType<typeof engineOn>>, perJobMs: { v: number }): Promise<number[] | undefined> {
  const { engine, master, svc } = ctx;
  master.launchedAt.clear();
  const ahead = 2_000 + 3 * perJobMs.v * n;
  const due = kind === 'iso' ? Math.ceil((Date.now() + ahead) / 1000) * 1000 : Math.ceil((Date.now() + ahead) / 60_000) * 60_000;
  const start = Date.now();
  if (kind === 'iso') {
    for (let i = 0; i < n; i++) await engine.putJob(parseJobBody(JSON.stringify({ name: `${prefix}${i}`, command: 'true', schedule: `R1/${new Date(due).toISOString()}/PT1H` }), 'scheduled', DEFAULT_JOB_DEFAULTS, Date.now()));
  } else {
    const spec = parseScheduleSpec({ id: 's', cron: cronAt(due) });
    for (let i = 0; i < n; i++) await svc.create(parseJobSpec({ id: `${prefix}${i}`, run: { cmd: 'true', cpus: 0.1, mem: 32 } }).job, [spec]);
  }
  perJobMs.v = Math.max(perJobMs.v, (Date.now() - start) / n);
  const overran = Date.now() > due - 100;
  const deadline = due + 60_000;
  while (master.launchedAt.size < n && Date.now() < deadline) await sleep(50);
  return overran ? undefined : [...master.launchedAt.entries()].filter(([id]) => id.startsWith(`ct:${due}:`)).map(([, at]) => at - due);
}

/**
 * One engine on a SqliteStore: a 200-job warm-up wave of the same kind (so the timed code is compiled), then
 * `waves` timed waves of `jobs` jobs. Every wave's tasks go out in one LAUNCH call, so the spread is mostly
 * between waves.
 */
export async function lateness(kind: 'iso' | 'cron', jobs: number, waves: number): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), 'agora-bench-jobs-'));
  const store = new SqliteStore(join(dir, 'jobs.db'));
  const ctx = await engineOn(store);
  const perJobMs = { v: 5 };
  await wave(kind, 'warm', 200, ctx, perJobMs);
  const perWave: number[][] = [];
  let overran = 0;
  for (let w = 0; w < waves; w++) {
    const late = await wave(kind, `w${w}-`, jobs, ctx, perJobMs);
    if (late === undefined) overran++;
    else perWave.push(late);
  }
  await ctx.engine.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const late = perWave.flat().sort((a, b) => a - b);
  return {
    scenario: `${jobs.toLocaleString('en')} ${kind === 'iso' ? 'ISO 8601' : 'cron'} jobs due at once × ${waves} (SQLite)`,
    launched: late.length,
    'p50 ms': pct(late, 50),
    'p99 ms': pct(late, 99),
    'max ms': late.at(-1) ?? NaN,
    'per-wave max ms': perWave.map((l) => Math.max(...l)).join(' / '),
    'waves dropped (definition overran)': overran,
  };
}

export async function run(): Promise<BenchResult> {
  // Lateness first: after the idle scenario a major GC of its 100,000 jobs can land in the timed wave.
  const iso = await lateness('iso', 1_000, 5);
  const cron = await lateness('cron', 1_000, 1);
  const cluster = process.env.AGORA_BENCH_CLUSTER === '0' ? undefined : await clusterLateness(1_000, 3, 20);
  // AGORA_BENCH_IDLE_JOBS shrinks the idle scenario for a quick look.
  const idleRow = await idle(Number(process.env.AGORA_BENCH_IDLE_JOBS ?? 100_000));
  return {
    name: 'jobs',
    rows: [iso, cron, ...(cluster !== undefined ? [cluster] : []), idleRow],
    summary: {
      note: 'engine rows: fake in-process master, lateness = occurrence → LAUNCH call; cluster row: real master + simulated agents, occurrence → agent TASK_RUNNING',
      'idle CPU %': idleRow['idle CPU % (10 s)'] ?? '',
      'idle RSS MB': idleRow['RSS MB'] ?? '',
      'lateness p99 ms (1k ISO)': iso['p99 ms'] ?? '',
      'lateness p99 ms (1k cron)': cron['p99 ms'] ?? '',
      'cluster lateness p99 ms (1k, to TASK_RUNNING)': cluster?.['p99 ms'] ?? 'skipped',
    },
  };
}
