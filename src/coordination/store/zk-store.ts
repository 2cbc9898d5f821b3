/**
 * The Store on ZooKeeper (`--zk`). Layout under `<root>` (default `<zk path>/store`; detectors ignore it
 * because its name has no sequence number):
 *   `<root>/kv/d<dir>/k<name>`  one node per key; `dir` is the key up to its last '/', `name` the rest, both
 *                               URI-encoded so any key is a valid node name. Store version = znode version + 1.
 *   `<root>/blobs/<uuid>-<i>`   chunks of a large value.
 * A key node holds either the value inline (first byte 0) or, for values over `chunkBytes` (default 256 KiB),
 * a manifest (first byte 1, JSON {gen, chunks, size}) naming its chunks, so no znode nears the 1 MB limit.
 *
 * Atomicity: a large value's chunks are written first under a fresh uuid, where no reader looks; then ONE
 * `multi` transaction does the compare-and-set (create, or setData with the expected znode version) of the
 * key node and removes the chunks of the value it replaces. Readers follow the manifest they read and retry
 * if a chunk vanished under them (a newer value was swapped in). A writer that loses the CAS removes its
 * chunks; one that crashes in between leaves unreferenced chunks behind (garbage, never visible).
 *
 * Fencing: with `fence`, every write's transaction first checks that the fence node (the leader's ephemeral
 * election node) still exists, so a master whose ZooKeeper session is gone can no longer write — even if it
 * has not noticed yet. Such writes fail with NOT_LEADER.
 */
import { join } from 'node:path/posix';
import type { Clock } from '../../core/clock.js';
import { AgoraError } from '../../core/errors.js';
import { newUuid } from '../../core/ids.js';
import { ZK_CODES, ZkMultiError, ZkSession, type ZkOp } from '../zk/zk-session.js';
import type { ZkUrl } from '../zk/zk-url.js';
import { conflict, type Store, type StoreWrite, type Version, type Versioned } from './store.js';

export interface ZkStoreOptions {
  readonly sessionTimeoutMs: number;
  readonly clock: Clock;
  /** Root znode of the store (default `<url path>/store`). */
  readonly root?: string;
  /** Largest value kept inline and size of each chunk (default 256 KiB). */
  readonly chunkBytes?: number;
  /** Path of the node whose existence every write checks (undefined: refuse writes with NOT_LEADER). */
  readonly fence?: () => string | undefined;
}

const INLINE = 0;
const CHUNKED = 1;

interface Manifest {
  readonly gen: string;
  readonly chunks: number;
  readonly size: number;
}

interface Current {
  readonly version: Version | 'absent';
  /** Chunk paths of the current value (removed when it is replaced). */
  readonly chunks: readonly string[];
}

export class ZkStore implements Store {
  private session: Promise<ZkSession> | undefined;
  private readonly knownDirs = new Set<string>();
  private readonly root: string;
  private readonly chunkBytes: number;
  private closed = false;

  private constructor(
    private readonly url: ZkUrl,
    private readonly opts: ZkStoreOptions,
  ) {
    this.root = opts.root ?? `${url.path}/store`;
    this.chunkBytes = opts.chunkBytes ?? 256 * 1024;
  }

  /** Connects and creates the root nodes; rejects with UNAVAILABLE when ZooKeeper does not answer. */
  static async open(url: ZkUrl, opts: ZkStoreOptions): Promise<ZkStore> {
    const store = new ZkStore(url, opts);
    await store.connected();
    return store;
  }

  async get(key: string): Promise<Versioned | undefined> {
    const s = await this.connected();
    for (let attempt = 0; ; attempt++) {
      const node = await s.get(this.keyPath(key));
      if (node === undefined) return undefined;
      const version = node.version + 1;
      if (node.data[0] !== CHUNKED) return { value: Uint8Array.from(node.data.subarray(1)), version };
      const parts = await Promise.all(this.chunkPaths(node.data).map((p) => s.get(p)));
      if (parts.every((p) => p !== undefined)) return { value: Uint8Array.from(Buffer.concat(parts.map((p) => p.data))), version };
      // A newer value replaced this one between our reads: read again.
      if (attempt >= 10) throw new AgoraError('UNAVAILABLE', `Value of '${key}' keeps changing while being read`);
    }
  }

  async list(prefix: string): Promise<readonly string[]> {
    const s = await this.connected();
    const dirs = (await s.children(`${this.root}/kv`)) ?? [];
    const out: string[] = [];
    for (const d of dirs) {
      const dir = decodeURIComponent(d.slice(1));
      if (!dir.startsWith(prefix) && !prefix.startsWith(dir)) continue;
      for (const n of (await s.children(`${this.root}/kv/${d}`)) ?? []) {
        const key = dir + decodeURIComponent(n.slice(1));
        if (key.startsWith(prefix)) out.push(key);
      }
    }
    return out.sort();
  }

  async put(key: string, value: Uint8Array, expected: Version | 'absent'): Promise<Version> {
    const [v] = await this.putMany([{ key, value, expected }]);
    return v as Version;
  }

  /** Every write in one ZooKeeper transaction (large values' chunks are written before it). */
  async putMany(writes: readonly StoreWrite[]): Promise<Version[]> {
    const s = await this.connected();
    const ops: ZkOp[] = [];
    const opKeys: (string | undefined)[] = [];
    const written: string[] = [];
    const staged = new Map<string, Current>();
    const versions: Version[] = [];
    this.pushFence(ops, opKeys);
    try {
      for (const w of writes) {
        const cur = staged.get(w.key) ?? (await this.current(s, w.key));
        if (cur.version !== w.expected) throw conflict(w.key, w.expected, cur.version);
        const { data, chunks } = await this.encode(s, w.value, written);
        const path = this.keyPath(w.key);
        if (cur.version === 'absent') {
          await this.ensureDir(s, w.key);
          ops.push({ op: 'create', path, data });
        } else ops.push({ op: 'set', path, data, version: cur.version - 1 });
        opKeys.push(w.key);
        for (const c of cur.chunks) {
          ops.push({ op: 'remove', path: c, version: -1 });
          opKeys.push(w.key);
        }
        const version = cur.version === 'absent' ? 1 : cur.version + 1;
        staged.set(w.key, { version, chunks });
        versions.push(version);
      }
      await this.commit(s, ops, opKeys, writes);
      return versions;
    } catch (e: unknown) {
      await Promise.all(written.map((p) => s.remove(p).catch(() => false)));
      throw e;
    }
  }

  async delete(key: string, expected: Version): Promise<void> {
    const s = await this.connected();
    const cur = await this.current(s, key);
    if (cur.version !== expected) throw conflict(key, expected, cur.version);
    const ops: ZkOp[] = [];
    const opKeys: (string | undefined)[] = [];
    this.pushFence(ops, opKeys);
    ops.push({ op: 'remove', path: this.keyPath(key), version: expected - 1 });
    opKeys.push(key);
    for (const c of cur.chunks) {
      ops.push({ op: 'remove', path: c, version: -1 });
      opKeys.push(key);
    }
    await this.commit(s, ops, opKeys, [{ key, value: new Uint8Array(), expected }]);
  }

  async close(): Promise<void> {
    this.closed = true;
    const s = this.session;
    this.session = undefined;
    if (s !== undefined) await (await s.catch(() => undefined))?.close();
  }

  /** The live session, opening a new one when the previous expired (standbys outlive sessions). */
  private async connected(): Promise<ZkSession> {
    if (this.closed) throw new AgoraError('UNAVAILABLE', 'ZooKeeper store is closed');
    const existing = this.session;
    if (existing !== undefined) {
      const s = await existing.catch(() => undefined);
      if (s !== undefined && !s.expired) return s;
      if (this.session !== existing) return this.connected();
    }
    const opening = (async () => {
      const s = await ZkSession.open(this.url, { sessionTimeoutMs: this.opts.sessionTimeoutMs, clock: this.opts.clock });
      await s.mkdirp(`${this.root}/kv`);
      await s.mkdirp(`${this.root}/blobs`);
      return s;
    })();
    this.session = opening;
    opening.catch(() => {
      if (this.session === opening) this.session = undefined;
    });
    return opening;
  }

  private pushFence(ops: ZkOp[], opKeys: (string | undefined)[]): void {
    if (this.opts.fence === undefined) return;
    const path = this.opts.fence();
    if (path === undefined) throw new AgoraError('NOT_LEADER', 'Not the leading master: registry writes are refused');
    ops.push({ op: 'check', path, version: -1 });
    opKeys.push(undefined);
  }

  private async commit(s: ZkSession, ops: readonly ZkOp[], opKeys: readonly (string | undefined)[], writes: readonly StoreWrite[]): Promise<void> {
    try {
      await s.multi(ops);
    } catch (e: unknown) {
      if (!(e instanceof ZkMultiError)) throw e;
      const key = opKeys[e.index];
      if (key === undefined) throw new AgoraError('NOT_LEADER', 'Lost leadership: the fencing node is gone, registry write refused');
      if (e.code !== ZK_CODES.BAD_VERSION && e.code !== ZK_CODES.NODE_EXISTS && e.code !== ZK_CODES.NO_NODE) throw e;
      const expected = writes.find((w) => w.key === key)?.expected ?? 'absent';
      throw conflict(key, expected, (await this.current(s, key)).version);
    }
  }

  /** The key's current version and chunk paths. */
  private async current(s: ZkSession, key: string): Promise<Current> {
    const node = await s.get(this.keyPath(key));
    if (node === undefined) return { version: 'absent', chunks: [] };
    return { version: node.version + 1, chunks: node.data[0] === CHUNKED ? this.chunkPaths(node.data) : [] };
  }

  /** Node data for a value; writes its chunks first when it is too large to be inline. */
  private async encode(s: ZkSession, value: Uint8Array, written: string[]): Promise<{ data: Buffer; chunks: string[] }> {
    if (value.length <= this.chunkBytes) return { data: Buffer.concat([Buffer.from([INLINE]), value]), chunks: [] };
    const manifest: Manifest = { gen: newUuid(), chunks: Math.ceil(value.length / this.chunkBytes), size: value.length };
    const chunks = this.chunkPaths(manifestData(manifest));
    await Promise.all(
      chunks.map(async (p, i) => {
        await s.create(p, Buffer.from(value.subarray(i * this.chunkBytes, (i + 1) * this.chunkBytes)), 'persistent');
        written.push(p);
      }),
    );
    return { data: manifestData(manifest), chunks };
  }

  private chunkPaths(data: Buffer): string[] {
    const m = JSON.parse(data.subarray(1).toString('utf8')) as Manifest;
    return Array.from({ length: m.chunks }, (_, i) => `${this.root}/blobs/${m.gen}-${i}`);
  }

  private async ensureDir(s: ZkSession, key: string): Promise<void> {
    const dir = this.dirNode(key);
    if (this.knownDirs.has(dir)) return;
    await s.mkdirp(dir);
    this.knownDirs.add(dir);
  }

  private dirNode(key: string): string {
    const cut = key.lastIndexOf('/') + 1;
    return join(this.root, 'kv', `d${encodeURIComponent(key.slice(0, cut))}`);
  }

  private keyPath(key: string): string {
    const cut = key.lastIndexOf('/') + 1;
    return `${this.dirNode(key)}/k${encodeURIComponent(key.slice(cut))}`;
  }
}

function manifestData(m: Manifest): Buffer {
  return Buffer.concat([Buffer.from([CHUNKED]), Buffer.from(JSON.stringify(m), 'utf8')]);
}
