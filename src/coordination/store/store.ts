/**
 * A small versioned key-value store: the only way durable state is kept (master registry, frameworks'
 * state). `put` is compare-and-set: it succeeds only if the key's current version equals `expected`
 * ('absent' for a new key) and returns the new version; otherwise it throws STORE_CONFLICT.
 */
import { AgoraError } from '../../core/errors.js';

export type Version = number;

export interface Versioned {
  readonly value: Uint8Array;
  readonly version: Version;
}

export interface Store {
  get(key: string): Promise<Versioned | undefined>;
  /** Keys starting with prefix, sorted. */
  list(prefix: string): Promise<readonly string[]>;
  put(key: string, value: Uint8Array, expected: Version | 'absent'): Promise<Version>;
  delete(key: string, expected: Version): Promise<void>;
  /**
   * Several compare-and-set puts as one atomic transaction (one fsync in the SqliteStore): either every put
   * succeeds and the new versions are returned in order, or none is applied and STORE_CONFLICT is thrown.
   * Optional so other Store implementations stay valid; callers fall back to `put` one by one.
   */
  putMany?(writes: readonly StoreWrite[]): Promise<Version[]>;
  close(): Promise<void>;
}

/** One write of a `putMany` batch. */
export interface StoreWrite {
  readonly key: string;
  readonly value: Uint8Array;
  readonly expected: Version | 'absent';
}

export function conflict(key: string, expected: Version | 'absent', actual: Version | 'absent'): AgoraError {
  return new AgoraError('STORE_CONFLICT', `Version conflict on '${key}': expected ${expected}, found ${actual}`, {
    key,
    expected,
    actual,
  });
}

/** Reads and parses a JSON value; undefined when absent. */
export async function getJson<T>(store: Store, key: string): Promise<{ value: T; version: Version } | undefined> {
  const v = await store.get(key);
  if (v === undefined) return undefined;
  return { value: JSON.parse(Buffer.from(v.value).toString('utf8')) as T, version: v.version };
}

export function jsonBytes(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value), 'utf8');
}
