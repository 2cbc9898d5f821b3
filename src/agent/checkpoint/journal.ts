/**
 * An append-only, line-delimited JSON journal with group commit: every append is buffered, and one
 * write + fdatasync covers every record appended while the previous sync was in flight. Launching a
 * thousand tasks therefore costs a handful of fsyncs, not a thousand. `append` resolves once the record
 * is durable; records become durable in append order.
 */
import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { syncDir } from './atomic.js';
import { dirname } from 'node:path';

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

export class Journal {
  private fh: FileHandle | undefined;
  private buffer: string[] = [];
  private waiters: Waiter[] = [];
  private flushing: Promise<void> | undefined;
  private syncs = 0;
  private compacting = false;
  private autoSnapshot: (() => readonly unknown[]) | undefined;
  private compactAt = Number.POSITIVE_INFINITY;
  private minCompactBytes = 16 * 1024 * 1024;
  /** Bytes in the file (as written by this process). */
  private bytes = 0;

  private constructor(readonly path: string) {}

  /** Reads every complete record of an existing journal (a torn last line from a crash is dropped). */
  static async read(path: string): Promise<unknown[]> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e: unknown) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: unknown[] = [];
    const lines = text.split('\n');
    // The last element is '' after a complete final line, or a torn record: either way skip it.
    for (let i = 0; i < lines.length - 1; i++) {
      const line = lines[i];
      if (line === undefined || line === '') continue;
      out.push(JSON.parse(line) as unknown);
    }
    return out;
  }

  /**
   * Compaction: atomically replaces the journal with exactly `records`, then opens it for appending.
   * Called at start-up after replay, so the log never grows without bound across restarts.
   */
  static async rewrite(path: string, records: readonly unknown[]): Promise<Journal> {
    const tmp = `${path}.compact`;
    const fh = await open(tmp, 'w', 0o644);
    try {
      const body = records.map((r) => JSON.stringify(r)).join('\n');
      await fh.writeFile(body === '' ? '' : `${body}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await syncDir(dirname(path));
    const j = new Journal(path);
    j.fh = await open(path, 'a', 0o644);
    j.bytes = (await j.fh.stat()).size;
    return j;
  }

  /** Current size of the journal file in bytes. */
  get size(): number {
    return this.bytes;
  }

  /**
   * Online compaction. Waits until no write is in flight, then takes `snapshot()` synchronously and
   * replaces the file with it. Records appended before the snapshot are dropped from the buffer (the
   * snapshot covers them, because callers change their state synchronously with each append) and their
   * promises resolve once the compacted file is durable; records appended later go to the new file.
   */
  async compact(snapshot: () => readonly unknown[]): Promise<void> {
    if (this.compacting) return;
    this.compacting = true;
    try {
      while (this.flushing !== undefined) await this.flushing;
      const records = snapshot();
      const covered = this.waiters;
      this.buffer = [];
      this.waiters = [];
      try {
        const next = await Journal.rewrite(this.path, records);
        const old = this.fh;
        this.fh = next.fh;
        this.bytes = next.bytes;
        this.syncs++;
        await old?.close();
        for (const w of covered) w.resolve();
      } catch (e: unknown) {
        for (const w of covered) w.reject(e);
        throw e;
      }
    } finally {
      this.compacting = false;
      if (this.buffer.length > 0 && this.flushing === undefined) this.flushing = this.flushLoop();
    }
  }

  /** Number of fsyncs performed (tests and metrics check that syncs are batched). */
  get syncCount(): number {
    return this.syncs;
  }

  /**
   * Compacts online (with `snapshot`) whenever the file has doubled since the last compaction and is
   * over `minBytes`, so the journal stays proportional to live state in a long-running agent.
   */
  autoCompact(snapshot: () => readonly unknown[], minBytes = 16 * 1024 * 1024): void {
    this.autoSnapshot = snapshot;
    this.compactAt = Math.max(minBytes, 2 * this.bytes);
    this.minCompactBytes = minBytes;
  }

  /** Appends one record; resolves when it is on disk. */
  append(record: unknown): Promise<void> {
    this.buffer.push(JSON.stringify(record));
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.flushing === undefined && !this.compacting) this.flushing = this.flushLoop();
    const snapshot = this.autoSnapshot;
    if (snapshot !== undefined && this.bytes > this.compactAt && !this.compacting) {
      this.compactAt = Number.POSITIVE_INFINITY;
      // A failed compaction leaves the old file in use; the next threshold is recomputed either way.
      void this.compact(snapshot)
        .catch(() => undefined)
        .finally(() => {
          this.compactAt = Math.max(this.minCompactBytes, 2 * this.bytes);
        });
    }
    return p;
  }

  /** Waits for every pending append, then closes the file. */
  async close(): Promise<void> {
    this.autoSnapshot = undefined;
    while (this.compacting || this.flushing !== undefined) {
      if (this.flushing !== undefined) await this.flushing;
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const fh = this.fh;
    this.fh = undefined;
    if (fh !== undefined) await fh.close();
  }

  private async flushLoop(): Promise<void> {
    // Let the current burst of synchronous appends join this batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.buffer.length > 0 && !this.compacting) {
      const lines = this.buffer;
      const waiters = this.waiters;
      this.buffer = [];
      this.waiters = [];
      try {
        const fh = this.fh;
        if (fh === undefined) throw new Error(`journal ${this.path} is closed`);
        const text = `${lines.join('\n')}\n`;
        await fh.write(text);
        this.bytes += Buffer.byteLength(text);
        await fh.datasync();
        this.syncs++;
        for (const w of waiters) w.resolve();
      } catch (e: unknown) {
        for (const w of waiters) w.reject(e);
      }
    }
    this.flushing = undefined;
  }
}
