/** In-memory Store for unit tests. Same contract as the durable ones. */
import { conflict, type Store, type StoreWrite, type Version, type Versioned } from './store.js';

export class MemoryStore implements Store {
  private readonly data = new Map<string, Versioned>();

  async get(key: string): Promise<Versioned | undefined> {
    return this.data.get(key);
  }

  async list(prefix: string): Promise<readonly string[]> {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  async put(key: string, value: Uint8Array, expected: Version | 'absent'): Promise<Version> {
    const current = this.data.get(key);
    const actual = current === undefined ? 'absent' : current.version;
    if (actual !== expected) throw conflict(key, expected, actual);
    const version = current === undefined ? 1 : current.version + 1;
    this.data.set(key, { value: Uint8Array.from(value), version });
    return version;
  }

  async putMany(writes: readonly StoreWrite[]): Promise<Version[]> {
    // Checked in order against the batch's own earlier writes, then applied together: all or nothing.
    const staged = new Map<string, Versioned>();
    const versions: Version[] = [];
    for (const w of writes) {
      const current = staged.get(w.key) ?? this.data.get(w.key);
      const actual = current === undefined ? 'absent' : current.version;
      if (actual !== w.expected) throw conflict(w.key, w.expected, actual);
      const version = current === undefined ? 1 : current.version + 1;
      staged.set(w.key, { value: Uint8Array.from(w.value), version });
      versions.push(version);
    }
    for (const [k, v] of staged) this.data.set(k, v);
    return versions;
  }

  async delete(key: string, expected: Version): Promise<void> {
    const current = this.data.get(key);
    const actual = current === undefined ? 'absent' : current.version;
    if (actual !== expected) throw conflict(key, expected, actual);
    this.data.delete(key);
  }

  async close(): Promise<void> {}
}
