/**
 * The framework HA building blocks on a real ZooKeeper server, in process: two HA nodes (startHaNode) whose
 * leader runs a tiny framework; the standby forwards requests (body, headers, a stream) to the leader,
 * refuses a proxying loop with 502, and takes over when the leader stops (the local framework is stopped on
 * loss). `agora lb`'s apps locator follows the leader named in ZooKeeper, and a real `agora lb` (built-in
 * proxy) given `--apps zk://…` syncs from the leader and follows the next one. A node whose framework cannot start
 * gives leadership up and answers 503 after holding the request.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/core/clock.js';
import { startHaNode, type LeaderInstance, type RunningHaNode } from '../../src/coordination/framework-ha/ha-node.js';
import { locateApps } from '../../src/lb/apps-locator.js';
import { startLb } from '../../src/lb/index.js';
import { silentLogger } from '../../src/core/log.js';
import { rawRequest } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import { startZooKeeper, type ZkEnsemble } from '../helpers/zookeeper.js';

let zk: ZkEnsemble;
const clock = new SystemClock();
const nodes: RunningHaNode[] = [];

beforeAll(async () => {
  zk = await startZooKeeper();
}, 60_000);

afterAll(async () => {
  for (const n of nodes) await n.stop().catch(() => undefined);
  await zk.stop();
});

/** A framework stand-in: `/who` names the node, `/echo` returns body and headers, `/stream` never ends. */
async function tinyFramework(name: string, stopped: string[]): Promise<LeaderInstance> {
  const ticks = new Set<ReturnType<typeof setInterval>>();
  const server: Server = createServer((req, res) => {
    if (req.url === '/who') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name }));
    if (req.url?.startsWith('/v2/apps') === true) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"apps":[]}');
    if (req.url === '/stream' || req.url?.startsWith('/v2/events') === true) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${name}\n\n`);
      const t = setInterval(() => res.write(': tick\n\n'), 100);
      ticks.add(t);
      res.on('close', () => clearInterval(t));
      return;
    }
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name, body: Buffer.concat(parts).toString(), headers: req.headers })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      stopped.push(name);
      for (const t of ticks) clearInterval(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function node(path: string, name: string, stopped: string[], fail = false): Promise<RunningHaNode> {
  const n = await startHaNode({
    zk: zk.url(path),
    sessionTimeoutMs: 2000,
    ip: '127.0.0.1',
    port: 0,
    clock,
    viaHeader: 'X-Marathon-Via',
    leaderHeader: 'X-Marathon-Leader',
    holdMs: 1500,
    retryMs: 200,
    abdicatePath: '/v2/leader',
    startLeader: async () => {
      if (fail) throw new Error('cannot start');
      return tinyFramework(name, stopped);
    },
  });
  nodes.push(n);
  return n;
}

/** The first chunk of a streamed response, and a promise of its end. */
function openStream(url: string): Promise<{ first: string; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res: IncomingMessage) => {
      const ended = new Promise<void>((done) => {
        res.on('close', () => done());
        res.on('error', () => done());
      });
      res.once('data', (d: Buffer) => resolve({ first: d.toString(), ended }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('framework HA (startHaNode) and the lb apps locator', () => {
  it('forwards to the leader, detects loops, fails over, and the locator follows', async () => {
    const stopped: string[] = [];
    const a = await node('fw-ha', 'a', stopped);
    const b = await node('fw-ha', 'b', stopped);
    await waitFor(() => (a.local !== undefined) !== (b.local !== undefined) && a.leadership.leader !== undefined && b.leadership.leader !== undefined, { timeoutMs: 20_000, what: 'one node serving as leader' });
    const [leader, standby, leaderName, standbyName] = a.local !== undefined ? [a, b, 'a', 'b'] : [b, a, 'b', 'a'];
    const standbyHostPort = standby.url.slice('http://'.length);

    const who = await rawRequest(`${standby.url}/who`);
    expect(JSON.parse(who.body)).toEqual({ name: leaderName });
    expect(who.headers['x-marathon-leader']).toBe(leader.url);

    const echo = await rawRequest(`${standby.url}/echo?x=1`, { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain', 'X-Marathon-Via': '10.0.0.9:8080' } });
    const echoed = JSON.parse(echo.body) as { name: string; body: string; headers: Record<string, string> };
    expect(echoed).toMatchObject({ name: leaderName, body: 'hello' });
    expect(echoed.headers['x-marathon-via']).toBe(`10.0.0.9:8080, ${standbyHostPort}, ${leader.url.slice('http://'.length)}`);
    expect(echoed.headers['x-forwarded-for']).toMatch(/127\.0\.0\.1/);

    const loop = await rawRequest(`${standby.url}/who`, { headers: { 'X-Marathon-Via': `10.0.0.9:8080, ${standbyHostPort}` } });
    expect(loop.status).toBe(502);
    expect(loop.body).toBe('Detected proxying loop.');

    const stream = await openStream(`${standby.url}/stream`);
    expect(stream.first).toBe(`data: ${leaderName}\n\n`);

    const locator = await locateApps(zk.url('fw-ha'), clock, 2000);
    try {
      expect(typeof locator.url === 'function' ? locator.url() : locator.url).toBe(leader.url);

      // Abdication asked through the standby reaches the leader; some node leads again.
      const abdicated = await rawRequest(`${standby.url}/v2/leader`, { method: 'DELETE' });
      expect(abdicated.status).toBe(200);
      expect(JSON.parse(abdicated.body)).toEqual({ message: 'Leadership abdicated' });
      await stream.ended;
      expect(stopped).toEqual([leaderName]);
      stopped.length = 0;
      await waitFor(() => standby.local !== undefined || leader.local !== undefined, { timeoutMs: 20_000, what: 'a leader again' });
      if (leader.local === undefined) {
        // The standby won this election: make the original leader lead again for the rest of the test.
        expect((await rawRequest(`${leader.url}/v2/leader`, { method: 'DELETE' })).status).toBe(200);
        stopped.length = 0;
        await waitFor(() => leader.local !== undefined, { timeoutMs: 20_000, what: 'the first node leads again' });
      }
      const stream2 = await openStream(`${standby.url}/stream`);
      await waitFor(() => (typeof locator.url === 'function' ? locator.url() === leader.url : false), { timeoutMs: 10_000, what: 'the locator names the leader' });

      // The leader withdraws: its framework stops, the stream through the standby ends, the standby leads.
      await leader.stop();
      expect(stopped).toEqual([leaderName]);
      await stream2.ended;
      await waitFor(() => standby.local !== undefined, { timeoutMs: 20_000, what: 'the standby takes over' });
      expect(JSON.parse((await rawRequest(`${standby.url}/who`)).body)).toEqual({ name: standbyName });
      await waitFor(() => (typeof locator.url === 'function' ? locator.url() === standby.url : false), { timeoutMs: 10_000, what: 'the locator follows' });
    } finally {
      await locator.close();
    }
    expect((await locateApps('http://x:1', clock)).url).toBe('http://x:1');
  }, 60_000);

  it('agora lb --apps zk:// syncs from the apps leader and follows it to the next one', async () => {
    const stopped: string[] = [];
    const a = await node('lb-apps', 'a', stopped);
    const b = await node('lb-apps', 'b', stopped);
    await waitFor(() => (a.local !== undefined) !== (b.local !== undefined), { timeoutMs: 20_000, what: 'one apps node serving as leader' });
    const [leader, standby] = a.local !== undefined ? [a, b] : [b, a];
    const lb = await startLb(
      { appsUrl: zk.url('lb-apps'), groups: ['external'], bind: '127.0.0.1', port: 0, statsPort: 0, httpPort: 0, httpsPort: 0, sslCerts: [], proxy: 'builtin', haproxyBin: 'haproxy', haproxyConfig: undefined, runDir: undefined, coalesceMs: 50, resyncIntervalMs: 60_000, minSlots: 4 },
      { clock, logger: silentLogger() },
    );
    try {
      const status = async (): Promise<{ appsUrl: string | null; eventStreamConnected: boolean; syncs: number }> => JSON.parse((await rawRequest(`${lb.url}/_lb/status`)).body) as { appsUrl: string | null; eventStreamConnected: boolean; syncs: number };
      await waitFor(async () => {
        const st = await status();
        return st.appsUrl === leader.url && st.eventStreamConnected && st.syncs >= 1;
      }, { timeoutMs: 20_000, what: 'lb following the apps leader' });
      await leader.stop();
      await waitFor(async () => {
        const st = await status();
        return st.appsUrl === standby.url && st.eventStreamConnected;
      }, { timeoutMs: 20_000, what: 'lb following the new apps leader' });
    } finally {
      await lb.stop();
    }
  }, 60_000);

  it('gives leadership up when the framework cannot start, and answers 503 after holding', async () => {
    const c = await node('fw-ha-broken', 'c', [], true);
    const res = await rawRequest(`${c.url}/who`);
    expect(res.status).toBe(503);
    expect(res.body).toBe('Could not determine the current leader');
    expect(c.local).toBeUndefined();
  }, 30_000);
});
