/**
 * The embedded Store: one SQLite file in the work dir, WAL mode, synchronous=FULL so that a put that
 * returned survives a crash or power cut. Each put is one transaction.
 */
import Database from 'better-sqlite3';
import { conflict, type Store, type StoreWrite, type Version, type Versioned } from './store.js';

interface Row {
  value: Buffer;
  version: number;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[string], Row>;
  private readonly listStmt: Database.Statement<[string, string], { key: string }>;
  private readonly insertStmt: Database.Statement<[string, Buffer]>;
  private readonly updateStmt: Database.Statement<[Buffer, string, number]>;
  private readonly deleteStmt: Database.Statement<[string, number]>;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, version INTEGER NOT NULL)');
    this.getStmt = this.db.prepare('SELECT value, version FROM kv WHERE key = ?');
    this.listStmt = this.db.prepare('SELECT key FROM kv WHERE key >= ? AND key < ? ORDER BY key');
    this.insertStmt = this.db.prepare('INSERT INTO kv (key, value, version) VALUES (?, ?, 1)');
    this.updateStmt = this.db.prepare('UPDATE kv SET value = ?, version = version + 1 WHERE key = ? AND version = ?');
    this.deleteStmt = this.db.prepare('DELETE FROM kv WHERE key = ? AND version = ?');
  }

  async get(key: string): Promise<Versioned | undefined> {
    const row = this.getStmt.get(key);
    return row === undefined ? undefined : { value: new Uint8Array(row.value), version: row.version };
  }

  async list(prefix: string): Promise<readonly string[]> {
    // Every key with the prefix sorts between prefix and prefix + U+FFFF.
    return this.listStmt.all(prefix, `${prefix}\uffff`).map((r) => r.key);
  }

  async put(key: string, value: Uint8Array, expected: Version | 'absent'): Promise<Version> {
    return this.db.transaction((): Version => this.putRow(key, value, expected)).immediate();
  }

  /** All puts in one transaction (one commit, one fsync); a conflict rolls every one of them back. */
  async putMany(writes: readonly StoreWrite[]): Promise<Version[]> {
    return this.db.transaction((): Version[] => writes.map((w) => this.putRow(w.key, w.value, w.expected))).immediate();
  }

  private putRow(key: string, value: Uint8Array, expected: Version | 'absent'): Version {
    const row = this.getStmt.get(key);
    const actual = row === undefined ? 'absent' : row.version;
    if (actual !== expected) throw conflict(key, expected, actual);
    const buf = Buffer.from(value);
    if (row === undefined) {
      this.insertStmt.run(key, buf);
      return 1;
    }
    this.updateStmt.run(buf, key, row.version);
    return row.version + 1;
  }

  async delete(key: string, expected: Version): Promise<void> {
    const info = this.deleteStmt.run(key, expected);
    if (info.changes === 0) {
      const row = this.getStmt.get(key);
      throw conflict(key, expected, row === undefined ? 'absent' : row.version);
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
