/**
 * Framework HA benchmark (ADR 0043): a real ZooKeeper server and two in-process HA nodes (startHaNode) whose
 * leader runs a tiny framework answering `GET /v2/ping`. Measures the cost of the forwarding front — latency
 * (p50/p99 of sequential requests on a keep-alive connection) and requests/s (20 concurrent clients) —
 * straight to the framework, through the leader's front (one loopback hop, as every HA request takes), and
 * through the standby's front (two hops); then the time from a graceful leader stop until the standby serves
 * requests again. (After kill -9 the standby waits for the ZooKeeper session timeout first.)
 */
import { createServer, request, Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { BenchResult } from './harness.js';
import { round } from './harness.js';
import { SystemClock } from '../src/core/clock.js';
import { startHaNode, type LeaderInstance, type RunningHaNode } from '../src/coordination/framework-ha/ha-node.js';
import { startZooKeeper } from '../test/helpers/zookeeper.js';
import { waitFor } from '../test/helpers/wait.js';

const SEQUENTIAL = 2_000;
const CONCURRENT_CLIENTS = 20;
const CONCURRENT_TOTAL = 10_000;

async function tinyFramework(name: string): Promise<LeaderInstance> {
  const server = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end(name));
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function get(url: string, agent: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode ?? 0}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

async function measure(path: string, base: string): Promise<Record<string, string | number>> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENT_CLIENTS });
  try {
    for (let i = 0; i < 200; i++) await get(`${base}/v2/ping`, agent);
    const lat: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const t = performance.now();
      await get(`${base}/v2/ping`, agent);
      lat.push(performance.now() - t);
    }
    lat.sort((a, b) => a - b);
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENT_CLIENTS }, async () => {
        while (next++ < CONCURRENT_TOTAL) await get(`${base}/v2/ping`, agent);
      }),
    );
    const secs = (performance.now() - start) / 1000;
    return { path, 'p50 ms': round(pct(lat, 50), 3), 'p99 ms': round(pct(lat, 99), 3), 'req/s (20 clients)': Math.round(CONCURRENT_TOTAL / secs) };
  } finally {
    agent.destroy();
  }
}

export async function run(): Promise<BenchResult> {
  const zk = await startZooKeeper();
  const clock = new SystemClock();
  const nodes: RunningHaNode[] = [];
  try {
    for (const name of ['a', 'b']) {
      nodes.push(
        await startHaNode({
          zk: zk.url('bench-ha'), sessionTimeoutMs: 3000, ip: '127.0.0.1', port: 0, clock, viaHeader: 'X-Marathon-Via', leaderHeader: 'X-Marathon-Leader', retryMs: 200,
          startLeader: () => tinyFramework(name),
        }),
      );
    }
    await waitFor(() => nodes.some((n) => n.local !== undefined) && nodes.every((n) => n.leadership.leader !== undefined), { timeoutMs: 20_000, what: 'a leader serving' });
    const leader = nodes.find((n) => n.local !== undefined);
    const standby = nodes.find((n) => n.local === undefined);
    if (leader?.local === undefined || standby === undefined) throw new Error('no leader');
    const rows = [
      await measure('framework directly', leader.local.url),
      await measure('via the leader front (1 hop)', leader.url),
      await measure('via the standby front (2 hops)', standby.url),
    ];
    const agent = new Agent({ keepAlive: false });
    const t0 = performance.now();
    await leader.stop();
    await waitFor(() => get(`${standby.url}/v2/ping`, agent).then(() => true, () => false), { timeoutMs: 20_000, intervalMs: 5, what: 'the standby serving' });
    const handover = performance.now() - t0;
    return {
      name: 'framework-ha',
      rows,
      summary: {
        'graceful handover ms (leader stop → standby serves)': round(handover, 1),
        'p50 ms via standby': rows[2]?.['p50 ms'] ?? 0,
        'req/s via standby': rows[2]?.['req/s (20 clients)'] ?? 0,
      },
    };
  } finally {
    for (const n of nodes) await n.stop().catch(() => undefined);
    await zk.stop();
  }
}
