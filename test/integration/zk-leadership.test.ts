/**
 * Leadership and master detection on a real ZooKeeper server (one per file): election in upstream's layout,
 * failover when the leader withdraws or loses its session (cut through a TCP proxy), detector following the
 * leader, and fencing of registry writes by the leader's node.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MasterInfoJson } from '../../src/api/mesos/common.js';
import { ZkLeadership, ZkMasterDetector, ZkSession, ZkStore, parseZkUrl, type ZkUrl } from '../../src/coordination/index.js';
import { SystemClock } from '../../src/core/clock.js';
import { cleanupAll } from '../helpers/daemons.js';
import { waitFor } from '../helpers/wait.js';
import { startZooKeeper, type ZkEnsemble } from '../helpers/zookeeper.js';

const clock = new SystemClock();
const SESSION_MS = 1500;
let zk: ZkEnsemble;
let group = 0;
const opened: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  zk = await startZooKeeper();
}, 60_000);

afterAll(async () => {
  for (const o of opened.splice(0)) await o.close().catch(() => undefined);
  await zk.stop();
  await cleanupAll();
});

function info(name: string, port: number): MasterInfoJson {
  return { id: `id-${name}`, ip: 16777343, port, pid: `master@127.0.0.1:${port}`, hostname: name, version: '1.12.0', address: { hostname: name, ip: '127.0.0.1', port } };
}

async function contend(url: ZkUrl, name: string, port: number, connectString?: string): Promise<ZkLeadership> {
  const u = connectString === undefined ? url : { ...url, connectString };
  const l = await ZkLeadership.contend(u, info(name, port), { sessionTimeoutMs: SESSION_MS, clock, retryMs: 200 });
  opened.push(l);
  return l;
}

async function detector(url: ZkUrl): Promise<ZkMasterDetector> {
  const d = await ZkMasterDetector.start(url, { sessionTimeoutMs: SESSION_MS, clock, retryMs: 200 });
  opened.push(d);
  return d;
}

const freshGroup = (): ZkUrl => parseZkUrl(zk.url(`agora-${++group}`));

describe('ZooKeeper leadership', () => {
  it('elects the lowest json.info_ node, whose data is the MasterInfo JSON with sorted keys', async () => {
    const url = freshGroup();
    const a = await contend(url, 'm1', 5051);
    await waitFor(() => a.isLeader, { timeoutMs: 5000, what: 'm1 elected' });
    const b = await contend(url, 'm2', 5052);
    const c = await contend(url, 'm3', 5053);
    expect(a.nodePath).toMatch(/^\/agora-\d+\/json\.info_\d{10}$/);
    const raw = await ZkSession.open(url, { sessionTimeoutMs: 5000, clock });
    opened.push(raw);
    expect((await raw.children(url.path))?.sort()).toEqual([a, b, c].map((l) => l.nodePath?.split('/').pop()).sort());
    const data = (await raw.get(a.nodePath ?? ''))?.data.toString();
    expect(data).toBe('{"address":{"hostname":"m1","ip":"127.0.0.1","port":5051},"hostname":"m1","id":"id-m1","ip":16777343,"pid":"master@127.0.0.1:5051","port":5051,"version":"1.12.0"}');
    expect([a.isLeader, b.isLeader, c.isLeader]).toEqual([true, false, false]);
    const d = await detector(url);
    expect(d.leader?.hostname).toBe('m1');
  });

  it('fails over to the next contender when the leader withdraws, and the detector follows', async () => {
    const url = freshGroup();
    const d = await detector(url);
    expect(d.leader).toBeUndefined();
    const seen: (string | undefined)[] = [];
    d.onChange((l) => seen.push(l?.hostname));
    const a = await contend(url, 'm1', 5051);
    const b = await contend(url, 'm2', 5052);
    const c = await contend(url, 'm3', 5053);
    await waitFor(() => d.leader?.hostname === 'm1', { timeoutMs: 5000, what: 'detector sees m1' });
    const lost: string[] = [];
    a.onLost((r) => lost.push(r));
    let bElected = 0;
    b.onElected(() => bElected++);
    await a.close();
    expect(lost).toEqual(['closed']);
    await waitFor(() => b.isLeader, { timeoutMs: 5000, what: 'm2 elected' });
    await waitFor(() => d.leader?.hostname === 'm2', { timeoutMs: 5000, what: 'detector sees m2' });
    expect(bElected).toBe(1);
    expect(c.isLeader).toBe(false);
    expect(seen).toEqual(['m1', 'm2']);
  });

  it('a leader cut off from ZooKeeper stops leading within the grace; another is elected after the session timeout; writes are fenced', async () => {
    const url = freshGroup();
    const proxy = await tcpProxy(zk.servers[0]?.clientPort ?? 0);
    const a = await contend(url, 'm1', 5051, `127.0.0.1:${proxy.port}`);
    await waitFor(() => a.isLeader, { timeoutMs: 5000, what: 'm1 elected' });
    const b = await contend(url, 'm2', 5052);
    const d = await detector(url);
    const staleFence = a.nodePath;
    // A store fenced by the leader's node: writes succeed while it leads.
    const store = await ZkStore.open(url, { sessionTimeoutMs: 5000, clock, fence: () => staleFence });
    opened.push(store);
    expect(await store.put('registry/x', Buffer.from('1'), 'absent')).toBe(1);
    const lostAt: number[] = [];
    a.onLost(() => lostAt.push(Date.now()));
    const cutAt = Date.now();
    proxy.cut();
    // The leader steps down as soon as its client notices the disconnection (well before the session expires).
    await waitFor(() => !a.isLeader, { timeoutMs: 5000, what: 'm1 steps down' });
    expect(lostAt).toHaveLength(1);
    expect(b.isLeader).toBe(false);
    await waitFor(() => b.isLeader, { timeoutMs: 10_000, what: 'm2 elected after m1 session expiry' });
    expect(Date.now() - cutAt).toBeGreaterThanOrEqual(SESSION_MS - 300);
    await waitFor(() => d.leader?.hostname === 'm2', { timeoutMs: 5000, what: 'detector sees m2' });
    // The old leader's node is gone, so a write that still carries its fence is refused.
    await expect(store.put('registry/x', Buffer.from('2'), 1)).rejects.toMatchObject({ code: 'NOT_LEADER' });
    expect((await store.get('registry/x'))?.version).toBe(1);
    // A store fenced by the new leader writes; one fenced by a standby refuses before touching ZooKeeper.
    const fenced = await ZkStore.open(url, { sessionTimeoutMs: 5000, clock, fence: () => b.fencePath() });
    opened.push(fenced);
    expect(await fenced.put('registry/x', Buffer.from('2'), 1)).toBe(2);
    const standby = await ZkStore.open(url, { sessionTimeoutMs: 5000, clock, fence: () => a.fencePath() });
    opened.push(standby);
    await expect(standby.put('registry/y', Buffer.from('1'), 'absent')).rejects.toMatchObject({ code: 'NOT_LEADER' });
    // The cut contender rejoins as a standby once ZooKeeper is reachable again.
    proxy.heal();
    await waitFor(() => a.nodePath !== undefined && a.nodePath !== staleFence, { timeoutMs: 10_000, what: 'm1 re-contends' });
    expect(a.isLeader).toBe(false);
    expect(b.isLeader).toBe(true);
    await proxy.close();
  }, 30_000);
});

/** A TCP proxy to 127.0.0.1:target whose connections can be cut (and refused) and later allowed again. */
async function tcpProxy(target: number): Promise<{ port: number; cut(): void; heal(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((client) => {
    if (!open) return void client.destroy();
    const upstream = connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    heal() {
      open = true;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}
