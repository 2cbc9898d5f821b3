/**
 * `agora lb` benchmark on real daemons: master, agent, `agora apps`, an app of 3 tiny Node HTTP servers (each
 * answers its task id) behind one service port, `agora lb` with HAProxy on 127.0.0.1 and with the built-in
 * proxy on 127.0.0.2. Measured in the same run:
 * - requests/s and p50/p99 latency with CONCURRENCY keep-alive clients for DURATION_MS, direct to one task,
 *   through HAProxy and through the built-in proxy (ratios against direct);
 * - time from a task becoming healthy (its first successful Marathon health check, `firstSuccess`) to the
 *   first request each proxy routes to it, over SCALE_UP new tasks (p50/p99).
 * Everything is killed at the end.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { BenchResult } from './harness.js';
import { median, round } from './harness.js';
import { cleanupAll, freePort, getJson, isHealthy, postJson, rawRequest, spawnAgora, startCluster, tempDir, waitFor } from '../test/helpers/index.js';

const CONCURRENCY = 16;
const DURATION_MS = 5000;
const SCALE_UP = 6;

interface TaskJson {
  id: string;
  state: string;
  ports: number[];
  healthCheckResults: { alive: boolean; firstSuccess?: string }[];
}

function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

function get(agent: Agent, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', agent }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

async function throughput(host: string, port: number): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + DURATION_MS;
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        await get(agent, host, port);
        latencies.push(performance.now() - t);
      } catch {
        errors++;
      }
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return { rps: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

async function startApps(masterHostPort: string): Promise<string> {
  const workDir = tempDir('agora-lb-bench-apps-');
  const port = await freePort();
  const p = spawnAgora(`apps-${port}`, ['apps', '--port', String(port), '--master', masterHostPort, '--work_dir', workDir, '--tick_interval', '200ms', '--min_revive_offers_interval', '200ms', '--decline_offer_duration', '1secs'], workDir);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => p.exitCode() === undefined && isHealthy(url), { timeoutMs: 30_000, what: 'agora apps' });
  return url;
}

async function startLb(appsUrl: string, bind: string, proxy: string): Promise<string> {
  const dir = tempDir('agora-lb-bench-');
  const port = await freePort();
  spawnAgora(`lb-${proxy}`, ['lb', '--apps', appsUrl, '--bind', bind, '--port', String(port), '--stats-port', String(await freePort()), '--http-port', '0', '--https-port', '0', '--proxy', proxy, '--run-dir', dir, '--coalesce', '100ms'], dir);
  const url = `http://${bind}:${port}`;
  await waitFor(() => isHealthy(url), { timeoutMs: 30_000, what: `agora lb ${proxy}` });
  return url;
}

export async function run(): Promise<BenchResult> {
  try {
    const { master } = await startCluster({ resources: 'cpus:4;mem:2048;disk:1024;ports:[31000-31100]' });
    const appsUrl = await startApps(master.hostPort);
    const servicePort = await freePort();
    await Promise.all([startLb(appsUrl, '127.0.0.1', 'haproxy'), startLb(appsUrl, '127.0.0.2', 'builtin')]);
    const server = `${process.execPath} -e "const s=require('http').createServer((q,r)=>r.end(process.env.MESOS_TASK_ID)).listen(+process.env.PORT0);process.on('SIGTERM',()=>s.close(()=>process.exit(0)))"`;
    const healthChecks = [{ protocol: 'HTTP', path: '/', portIndex: 0, gracePeriodSeconds: 10, intervalSeconds: 1, timeoutSeconds: 2, maxConsecutiveFailures: 3 }];
    await postJson(`${appsUrl}/v2/apps`, { id: '/bench', cmd: server, cpus: 0.1, mem: 32, instances: 3, healthChecks, portDefinitions: [{ port: servicePort }], labels: { HAPROXY_GROUP: 'external' } });
    const tasks = async (): Promise<TaskJson[]> => (await getJson<{ tasks: TaskJson[] }>(`${appsUrl}/v2/apps/bench/tasks`)).tasks;
    const healthy = (t: TaskJson): boolean => t.state === 'TASK_RUNNING' && t.healthCheckResults.length > 0 && t.healthCheckResults.every((r) => r.alive);
    const first = await waitFor(async () => {
      const t = (await tasks()).filter(healthy);
      return t.length === 3 ? t : false;
    }, { timeoutMs: 30_000, what: '3 healthy tasks' });
    for (const host of ['127.0.0.1', '127.0.0.2']) {
      await waitFor(async () => (await rawRequest(`http://${host}:${servicePort}/`).catch(() => ({ status: 0 }))).status === 200, { timeoutMs: 20_000, what: `${host} serving` });
    }

    const direct = await throughput('127.0.0.1', first[0]?.ports[0] ?? 0);
    const haproxy = await throughput('127.0.0.1', servicePort);
    const builtin = await throughput('127.0.0.2', servicePort);

    // Healthy → first proxied request: probe both proxies continuously while SCALE_UP tasks are added.
    const seen = new Map<string, { haproxy?: number; builtin?: number }>();
    let probing = true;
    const probe = async (host: string, which: 'haproxy' | 'builtin'): Promise<void> => {
      while (probing) {
        try {
          const r = await rawRequest(`http://${host}:${servicePort}/`, { timeoutMs: 5000 });
          const at = Date.now();
          const e = seen.get(r.body) ?? {};
          if (e[which] === undefined) seen.set(r.body, { ...e, [which]: at });
        } catch {
          // counted by the throughput runs; here only first arrivals matter
        }
      }
    };
    const probes = [...Array.from({ length: 4 }, () => probe('127.0.0.1', 'haproxy')), ...Array.from({ length: 4 }, () => probe('127.0.0.2', 'builtin'))];
    const before = new Set(first.map((t) => t.id));
    await rawRequest(`${appsUrl}/v2/apps/bench`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: 3 + SCALE_UP }) });
    const added = await waitFor(async () => {
      const t = (await tasks()).filter((x) => healthy(x) && !before.has(x.id));
      return t.length === SCALE_UP && t.every((x) => seen.get(x.id)?.haproxy !== undefined && seen.get(x.id)?.builtin !== undefined) ? t : false;
    }, { timeoutMs: 60_000, intervalMs: 100, what: 'every new task reached through both proxies' });
    probing = false;
    await Promise.all(probes);
    const delays = (which: 'haproxy' | 'builtin'): number[] => added.map((t) => (seen.get(t.id)?.[which] ?? 0) - Date.parse(t.healthCheckResults[0]?.firstSuccess ?? ''));
    const h = delays('haproxy');
    const b = delays('builtin');

    const row = (path: string, r: { rps: number; p50: number; p99: number; errors: number }, d?: number[]): Record<string, string | number> => ({
      path,
      'req/s': round(r.rps, 0),
      'vs direct': round(r.rps / direct.rps, 2),
      'p50 ms': round(r.p50, 2),
      'p99 ms': round(r.p99, 2),
      errors: r.errors,
      'healthy→first req p50 ms': d === undefined ? '-' : round(median(d), 0),
      'healthy→first req p99 ms': d === undefined ? '-' : round(percentile(d, 99), 0),
    });
    return {
      name: 'lb',
      rows: [row('direct to a task', direct), row('HAProxy', haproxy, h), row('built-in proxy', builtin, b)],
      summary: {
        concurrency: CONCURRENCY,
        'seconds per throughput run': DURATION_MS / 1000,
        'new tasks measured': SCALE_UP,
        'haproxy req/s ratio': round(haproxy.rps / direct.rps, 2),
        'builtin req/s ratio': round(builtin.rps / direct.rps, 2),
        'haproxy healthy→first request p50 ms': round(median(h), 0),
        'builtin healthy→first request p50 ms': round(median(b), 0),
      },
    };
  } finally {
    await cleanupAll();
  }
}
