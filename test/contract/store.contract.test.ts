import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, SqliteStore, ZkStore, parseZkUrl, type Store } from '../../src/coordination/index.js';
import { SystemClock } from '../../src/core/clock.js';
import { AgoraError } from '../../src/core/errors.js';
import { cleanupAll } from '../helpers/daemons.js';
import { startZooKeeper, type ZkEnsemble } from '../helpers/zookeeper.js';

const enc = (s: string): Uint8Array => Buffer.from(s);
const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString());

/**
 * Each implementation opens a fresh, empty store; `again(store)` opens a second client on the same data
 * (another connection / session), for the concurrent compare-and-set test.
 */
interface Impl {
  readonly make: () => Promise<Store>;
  readonly again: (first: Store) => Promise<Store>;
  /** Size of the "large value" test (smaller where chunks are tiny). */
  readonly bigBytes?: number;
}

const dirs: string[] = [];
const sqlitePaths = new Map<Store, string>();
const zkRoots = new Map<Store, string>();
let zk: ZkEnsemble | undefined;
let zkCount = 0;

async function openZk(root: string, chunkBytes?: number): Promise<Store> {
  if (zk === undefined) throw new Error('ZooKeeper not started');
  const store = await ZkStore.open(parseZkUrl(zk.url('contract')), { sessionTimeoutMs: 5000, clock: new SystemClock(), root, ...(chunkBytes === undefined ? {} : { chunkBytes }) });
  zkRoots.set(store, root);
  return store;
}

const implementations: [string, Impl][] = [
  ['memory', { make: async () => new MemoryStore(), again: async (first) => first }],
  [
    'sqlite',
    {
      make: async () => {
        const dir = mkdtempSync(join(tmpdir(), 'agora-store-'));
        dirs.push(dir);
        const path = join(dir, 'registry.db');
        const store = new SqliteStore(path);
        sqlitePaths.set(store, path);
        return store;
      },
      again: async (first) => new SqliteStore(sqlitePaths.get(first) ?? ''),
    },
  ],
  // Tiny chunks so that the contract's values are split across chunk znodes too.
  ['zookeeper (chunked)', { make: async () => openZk(`/contract/s${++zkCount}`, 4), again: async (first) => openZk(zkRoots.get(first) ?? '', 4), bigBytes: 999 }],
  ['zookeeper', { make: async () => openZk(`/contract/s${++zkCount}`), again: async (first) => openZk(zkRoots.get(first) ?? '') }],
];

beforeAll(async () => {
  zk = await startZooKeeper();
}, 60_000);

afterAll(async () => {
  await zk?.stop();
  await cleanupAll();
});

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe.each(implementations)('Store contract: %s', (_name, { make, again, bigBytes }) => {
  it('creates only when absent and versions every write', async () => {
    const s = await make();
    expect(await s.put('a', enc('1'), 'absent')).toBe(1);
    await expect(s.put('a', enc('x'), 'absent')).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
    expect(await s.put('a', enc('2'), 1)).toBe(2);
    const got = await s.get('a');
    expect(dec(got?.value)).toBe('2');
    expect(got?.version).toBe(2);
    await s.close();
  });

  it('rejects a stale compare-and-set and keeps the newer value', async () => {
    const s = await make();
    await s.put('k', enc('v1'), 'absent');
    await s.put('k', enc('v2'), 1);
    const err: unknown = await s.put('k', enc('stale'), 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgoraError);
    expect(dec((await s.get('k'))?.value)).toBe('v2');
    await s.close();
  });

  it('lists by prefix in key order', async () => {
    const s = await make();
    for (const k of ['agents/b', 'agents/a', 'frameworks/x', 'agentsX']) await s.put(k, enc(k), 'absent');
    expect(await s.list('agents/')).toEqual(['agents/a', 'agents/b']);
    expect(await s.list('')).toHaveLength(4);
    await s.close();
  });

  it('deletes only at the expected version', async () => {
    const s = await make();
    await s.put('d', enc('1'), 'absent');
    await expect(s.delete('d', 7)).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
    await s.delete('d', 1);
    expect(await s.get('d')).toBeUndefined();
    await s.close();
  });

  it('putMany applies every write in one transaction or none of them', async () => {
    const s = await make();
    if (s.putMany === undefined) throw new Error('putMany is expected on the built-in stores');
    await s.put('b/1', enc('old'), 'absent');
    expect(await s.putMany([{ key: 'b/0', value: enc('x'), expected: 'absent' }, { key: 'b/1', value: enc('new'), expected: 1 }, { key: 'b/0', value: enc('y'), expected: 1 }])).toEqual([1, 2, 2]);
    expect(dec((await s.get('b/0'))?.value)).toBe('y');
    // The last write conflicts: nothing of the batch is applied.
    await expect(s.putMany([{ key: 'b/2', value: enc('z'), expected: 'absent' }, { key: 'b/1', value: enc('stale'), expected: 1 }])).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
    expect(await s.get('b/2')).toBeUndefined();
    expect(dec((await s.get('b/1'))?.value)).toBe('new');
    await s.close();
  });

  it('lets exactly one of two clients win a concurrent compare-and-set', async () => {
    const a = await make();
    const b = await again(a);
    await a.put('race', enc('v0'), 'absent');
    for (let round = 1; round <= 5; round++) {
      const results = await Promise.allSettled([a.put('race', enc(`a${round}`), round), b.put('race', enc(`b${round}`), round)]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost[0]?.reason).toMatchObject({ code: 'STORE_CONFLICT' });
      const winner = results[0]?.status === 'fulfilled' ? 'a' : 'b';
      // Both clients see the winner's value at the new version.
      for (const s of [a, b]) {
        const got = await s.get('race');
        expect([dec(got?.value), got?.version]).toEqual([`${winner}${round}`, round + 1]);
      }
    }
    if (b !== a) await b.close();
    await a.close();
  });

  it('keeps large values whole, and a replaced large value leaves nothing behind', async () => {
    const s = await make();
    const big = Buffer.alloc(bigBytes ?? 3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
    await s.put('blob/x', big, 'absent');
    expect(Buffer.from((await s.get('blob/x'))?.value ?? []).equals(big)).toBe(true);
    await s.put('blob/x', enc('small'), 1);
    expect(dec((await s.get('blob/x'))?.value)).toBe('small');
    await s.put('blob/x', big.subarray(0, Math.floor(big.length / 5)), 2);
    expect((await s.get('blob/x'))?.value.length).toBe(Math.floor(big.length / 5));
    await s.delete('blob/x', 3);
    expect(await s.get('blob/x')).toBeUndefined();
    expect(await s.list('blob/')).toEqual([]);
    await s.close();
  });
});
