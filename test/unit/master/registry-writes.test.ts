import { describe, expect, it } from 'vitest';
import { MemoryStore, type Store, type StoreWrite, type Version, type Versioned } from '../../../src/coordination/index.js';
import { Registry, type RegistryAgent } from '../../../src/master/registry.js';

/** A MemoryStore that counts puts and gets (what a ZooKeeper round trip would cost). */
class CountingStore implements Store {
  readonly inner = new MemoryStore();
  puts = 0;
  gets = 0;
  inFlightGets = 0;
  maxInFlightGets = 0;
  failNextPut = false;
  async get(key: string): Promise<Versioned | undefined> {
    this.gets++;
    this.inFlightGets++;
    this.maxInFlightGets = Math.max(this.maxInFlightGets, this.inFlightGets);
    await Promise.resolve();
    this.inFlightGets--;
    return this.inner.get(key);
  }
  list(prefix: string): Promise<readonly string[]> {
    return this.inner.list(prefix);
  }
  async put(key: string, value: Uint8Array, expected: Version | 'absent'): Promise<Version> {
    this.puts++;
    if (this.failNextPut) {
      this.failNextPut = false;
      throw new Error('injected failure');
    }
    return this.inner.put(key, value, expected);
  }
  batches: number[] = [];
  putMany(writes: readonly StoreWrite[]): Promise<Version[]> {
    this.batches.push(writes.length);
    return this.inner.putMany(writes);
  }
  delete(key: string, expected: Version): Promise<void> {
    return this.inner.delete(key, expected);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const agent = (id: string, port = 5051): RegistryAgent => ({
  id,
  info: { hostname: `h-${id}`, port, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 4 } }] },
  registered_time: 1000,
  state: 'admitted',
});

describe('Registry writes', () => {
  it('does not write an agent record again when it did not change (re-registration), but does when it changed', async () => {
    const store = new CountingStore();
    const r = new Registry(store);
    await r.putAgent(agent('a1'));
    expect(store.puts).toBe(1);
    // Same content, keys in another order: no write.
    const same = agent('a1');
    await r.putAgent({ state: same.state, registered_time: same.registered_time, info: same.info, id: same.id });
    expect(store.puts).toBe(1);
    await r.putAgent({ ...agent('a1'), state: 'unreachable', unreachable_time: 5 });
    await r.putAgent(agent('a1'));
    expect(store.puts).toBe(3);
  });

  it('skips unchanged records loaded at recovery, reading them concurrently', async () => {
    const store = new CountingStore();
    const first = new Registry(store);
    await Promise.all(Array.from({ length: 200 }, (_, i) => first.putAgent(agent(`a${i}`, 6000 + i))));
    const puts = store.puts;
    const second = new Registry(store);
    const snap = await second.recover();
    expect(snap.agents.map((a) => a.id)).toEqual(Array.from({ length: 200 }, (_, i) => `a${i}`).sort());
    expect(store.maxInFlightGets).toBeGreaterThan(1);
    await Promise.all(snap.agents.map((a) => second.putAgent(agent(a.id, a.info.port))));
    expect(store.puts).toBe(puts);
    await second.putAgent({ ...agent('a7', 6007), registered_time: 2000 });
    expect(store.puts).toBe(puts + 1);
  });

  it('retries a write whose previous identical attempt failed, and writes again after a removal', async () => {
    const store = new CountingStore();
    const r = new Registry(store);
    store.failNextPut = true;
    await expect(r.putAgent(agent('a1'))).rejects.toThrow('injected failure');
    await r.putAgent(agent('a1'));
    expect(store.puts).toBe(2);
    expect(await store.inner.get('master/registry/agents/a1')).toBeDefined();
    await r.removeAgent('a1');
    await r.putAgent(agent('a1'));
    expect(store.puts).toBe(3);
    expect(await store.inner.get('master/registry/agents/a1')).toBeDefined();
  });

  it('commits writes queued together in batches, and isolates a failing write of a batch', async () => {
    const store = new CountingStore();
    const r = new Registry(store);
    await Promise.all(Array.from({ length: 150 }, (_, i) => r.putAgent(agent(`a${i}`, 6000 + i))));
    expect(store.batches.length).toBeGreaterThan(0);
    expect(Math.max(...store.batches)).toBeLessThanOrEqual(64);
    expect(store.batches.reduce((a, b) => a + b, 0) + store.puts).toBe(150);
    expect(await store.inner.list('master/registry/agents/')).toHaveLength(150);
    // Someone else bumps a1 behind the registry's back: a batch with a1 fails, a2 still lands.
    const cur = await store.inner.get('master/registry/agents/a1');
    await store.inner.put('master/registry/agents/a1', new Uint8Array([123, 125]), cur?.version ?? 'absent');
    const results = await Promise.allSettled([r.putAgent({ ...agent('a1', 6001), registered_time: 9 }), r.putAgent({ ...agent('a2', 6002), registered_time: 9 })]);
    expect(results.map((x) => x.status)).toEqual(['rejected', 'fulfilled']);
    const a2 = await store.inner.get('master/registry/agents/a2');
    expect((JSON.parse(Buffer.from(a2?.value ?? new Uint8Array()).toString()) as RegistryAgent).registered_time).toBe(9);
  });
});
