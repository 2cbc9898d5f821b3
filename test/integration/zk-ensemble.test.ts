/**
 * A 3-server ZooKeeper ensemble: the store and leadership keep working with one server down; with two down
 * (no quorum) the leader stops leading and writes fail; once they are back, service resumes with nothing lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MasterInfoJson } from '../../src/api/mesos/common.js';
import { ZkLeadership, ZkStore, parseZkUrl } from '../../src/coordination/index.js';
import { SystemClock } from '../../src/core/clock.js';
import { cleanupAll } from '../helpers/daemons.js';
import { waitFor } from '../helpers/wait.js';
import { startZooKeeper, type ZkEnsemble } from '../helpers/zookeeper.js';

const clock = new SystemClock();
let zk: ZkEnsemble;

beforeAll(async () => {
  zk = await startZooKeeper({ servers: 3 });
}, 90_000);

afterAll(async () => {
  await zk.stop();
  await cleanupAll();
});

const info: MasterInfoJson = { id: 'm1', ip: 16777343, port: 5050, hostname: 'm1', address: { hostname: 'm1', ip: '127.0.0.1', port: 5050 } };

describe('ZooKeeper ensemble', () => {
  it('survives one server down, loses leadership without quorum, and resumes with nothing lost', async () => {
    const url = parseZkUrl(zk.url('agora'));
    const leader = await ZkLeadership.contend(url, info, { sessionTimeoutMs: 4000, clock, retryMs: 200 });
    await waitFor(() => leader.isLeader, { timeoutMs: 10_000, what: 'elected' });
    const store = await ZkStore.open(url, { sessionTimeoutMs: 4000, clock, fence: () => leader.fencePath() });
    expect(await store.put('registry/a', Buffer.from('1'), 'absent')).toBe(1);

    const [s1, s2, s3] = zk.servers;
    if (s1 === undefined || s2 === undefined || s3 === undefined) throw new Error('three servers expected');
    // Stop the server that is not serving as quorum leader first, then any other: with one down, all is well.
    await s3.stop();
    let lastError: unknown;
    await waitFor(async () => (await store.put('registry/b', Buffer.from('1'), 'absent').then(() => true, (e: unknown) => ((lastError = e), false))), { timeoutMs: 15_000, what: 'write with 2 of 3 servers' }).catch((e: unknown) => {
      throw new Error(`${String(e)}; leader=${leader.isLeader} node=${leader.nodePath}; last error: ${String(lastError)}`);
    });
    expect(leader.isLeader).toBe(true);

    // Two of three down: no quorum. The leader must stop leading.
    await s2.stop();
    await waitFor(() => !leader.isLeader, { timeoutMs: 15_000, what: 'leadership lost without quorum' });
    await expect(store.put('registry/c', Buffer.from('1'), 'absent')).rejects.toMatchObject({ code: 'NOT_LEADER' });

    // Quorum back: it is elected again and the data written before is all there.
    await s2.start();
    await s3.start();
    await zk.waitServing();
    await waitFor(() => leader.isLeader, { timeoutMs: 20_000, what: 're-elected after quorum is back' });
    expect(Buffer.from((await store.get('registry/a'))?.value ?? []).toString()).toBe('1');
    expect(await store.list('registry/')).toEqual(['registry/a', 'registry/b']);
    expect(await store.put('registry/c', Buffer.from('1'), 'absent')).toBe(1);
    await store.close();
    await leader.close();
  }, 80_000);
});
