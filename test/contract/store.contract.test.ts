import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, SqliteStore, type Store } from '../../src/coordination/index.js';
import { AgoraError } from '../../src/core/errors.js';

const enc = (s: string): Uint8Array => Buffer.from(s);
const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString());

const dirs: string[] = [];
const implementations: [string, () => Store][] = [
  ['memory', () => new MemoryStore()],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'agora-store-'));
      dirs.push(dir);
      return new SqliteStore(join(dir, 'registry.db'));
    },
  ],
];

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe.each(implementations)('Store contract: %s', (_name, make) => {
  it('creates only when absent and versions every write', async () => {
    const s = make();
    expect(await s.put('a', enc('1'), 'absent')).toBe(1);
    await expect(s.put('a', enc('x'), 'absent')).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
    expect(await s.put('a', enc('2'), 1)).toBe(2);
    const got = await s.get('a');
    expect(dec(got?.value)).toBe('2');
    expect(got?.version).toBe(2);
    await s.close();
  });

  it('rejects a stale compare-and-set and keeps the newer value', async () => {
    const s = make();
    await s.put('k', enc('v1'), 'absent');
    await s.put('k', enc('v2'), 1);
    const err: unknown = await s.put('k', enc('stale'), 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgoraError);
    expect(dec((await s.get('k'))?.value)).toBe('v2');
    await s.close();
  });

  it('lists by prefix in key order', async () => {
    const s = make();
    for (const k of ['agents/b', 'agents/a', 'frameworks/x', 'agentsX']) await s.put(k, enc(k), 'absent');
    expect(await s.list('agents/')).toEqual(['agents/a', 'agents/b']);
    expect(await s.list('')).toHaveLength(4);
    await s.close();
  });

  it('deletes only at the expected version', async () => {
    const s = make();
    await s.put('d', enc('1'), 'absent');
    await expect(s.delete('d', 7)).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
    await s.delete('d', 1);
    expect(await s.get('d')).toBeUndefined();
    await s.close();
  });
});
