/**
 * `GET /v2/apps?embed=apps.tasks` with 1,000 apps and 10,000 tasks (issue 7). The apps HTTP layer (real
 * Fastify on a loopback port, the same routes and queries as `agora apps`) over an in-memory state filled
 * directly: 1,000 apps created through `POST /v2/apps` (normalisation, versions, service ports), then ten
 * running instances each, with host ports and a passing health result. Measured: latency of one request
 * (sequential, p50/p99/max), requests/s with 4 concurrent clients for a fixed time, and the body size.
 * Client and server share the process and its two cores; the client only reads the body as text.
 */
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import type { BenchResult } from './harness.js';
import { round } from './harness.js';
import { SystemClock } from '../src/core/clock.js';
import { MemoryStore } from '../src/coordination/index.js';
import { createHttpServer } from '../src/transport/http-server.js';
import { AppsRepo } from '../src/apps/state/repo.js';
import { AppsState } from '../src/apps/service/state.js';
import { AppChanges } from '../src/apps/service/app-changes.js';
import { AppsQueries } from '../src/apps/http/queries.js';
import { registerRoutes } from '../src/apps/http/routes.js';
import { instanceIdFor, taskIdFor } from '../src/apps/model/instance.js';

const APPS = 1_000;
const TASKS_PER_APP = 10;
const SEQUENTIAL = 30;
const CONCURRENCY = 4;
const THROUGHPUT_MS = 10_000;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function fill(state: AppsState, post: (body: unknown) => Promise<number>): Promise<void> {
  for (let a = 0; a < APPS; a++) {
    const status = await post({
      id: `/bench/group-${a % 20}/app-${a}`, cmd: 'python3 -m http.server $PORT0', cpus: 0.1, mem: 32, instances: TASKS_PER_APP,
      portDefinitions: [{ port: 0, name: 'http' }], labels: { team: `t${a % 7}`, HAPROXY_GROUP: 'external' },
      healthChecks: [{ protocol: 'HTTP', path: '/health', portIndex: 0 }],
    });
    if (status !== 201) throw new Error(`POST /v2/apps answered ${status}`);
  }
  const now = Date.now();
  let seq = 0;
  for (const app of state.apps.values()) {
    const cv = app.versionInfo?.lastConfigChangeAt ?? app.version;
    for (let i = 0; i < TASKS_PER_APP; i++) {
      seq++;
      const instanceId = instanceIdFor(app.id, `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`);
      await state.saveInstance({
        instanceId, taskId: taskIdFor(instanceId), appId: app.id, appVersion: app.version, configVersion: cv,
        state: 'TASK_RUNNING', goal: 'running', scheduledAt: now, agentId: `agent-${seq % 50}`, host: `10.0.${seq % 50}.1`,
        ports: [31000 + (seq % 1000)], stagedAt: now, startedAt: now,
        health: { consecutiveFailures: 0, firstSuccess: now, lastSuccess: now },
      });
    }
  }
}

export async function run(): Promise<BenchResult> {
  const clock = new SystemClock();
  const repo = new AppsRepo(new MemoryStore());
  const state = new AppsState(repo, clock);
  // No runtime here finishes the creations' deployments: lift `--max_running_deployments` (default 100).
  state.maxRunningDeployments = Number.MAX_SAFE_INTEGER;
  const changes = new AppChanges(state, { min: 10000, max: 20000 }, async () => undefined);
  const server = createHttpServer();
  registerRoutes(server, {
    state, changes, queries: new AppsQueries(state), baseUrl: () => 'http://127.0.0.1', info: () => ({ name: 'marathon' }),
    appVersion: (id, v) => repo.appVersion(id, v), appVersions: (id) => repo.appVersions(id),
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const addr = server.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  try {
    const t0 = performance.now();
    await fill(state, async (body) => {
      const r = await request(`${base}/v2/apps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await r.body.text();
      return r.statusCode;
    });
    const fillSecs = (performance.now() - t0) / 1000;
    const url = `${base}/v2/apps?embed=apps.tasks`;
    const get = async (): Promise<number> => {
      const r = await request(url);
      const text = await r.body.text();
      if (r.statusCode !== 200) throw new Error(`GET answered ${r.statusCode}`);
      return text.length;
    };
    const bytes = await get(); // warm-up (JIT), also checks the answer
    const lat: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const s = performance.now();
      await get();
      lat.push(performance.now() - s);
    }
    lat.sort((a, b) => a - b);
    let done = 0;
    const end = performance.now() + THROUGHPUT_MS;
    const client = async (): Promise<void> => {
      while (performance.now() < end) {
        await get();
        done++;
      }
    };
    const tp0 = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, client));
    const rps = done / ((performance.now() - tp0) / 1000);
    const tasks = [...state.instances.values()].length;
    const rows = [
      { measure: 'apps / tasks', value: `${state.apps.size} / ${tasks}` },
      { measure: 'body size (MB)', value: round(bytes / 1e6, 2) },
      { measure: `latency p50 (ms, ${SEQUENTIAL} sequential)`, value: round(percentile(lat, 50), 1) },
      { measure: 'latency p99 (ms)', value: round(percentile(lat, 99), 1) },
      { measure: 'latency max (ms)', value: round(lat.at(-1) ?? 0, 1) },
      { measure: `requests/s (${CONCURRENCY} concurrent, ${THROUGHPUT_MS / 1000} s)`, value: round(rps, 2) },
      { measure: 'fill: POST 1,000 apps + 10,000 instances (s)', value: round(fillSecs, 1) },
    ];
    return {
      name: 'apps-embed',
      rows,
      summary: { p50Ms: round(percentile(lat, 50), 1), p99Ms: round(percentile(lat, 99), 1), requestsPerSec: round(rps, 2), bodyMB: round(bytes / 1e6, 2) },
    };
  } finally {
    await server.close();
  }
}
