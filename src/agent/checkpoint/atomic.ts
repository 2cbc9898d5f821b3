/**
 * Crash-safe small-file writes for the agent checkpoint: write a temp file, fsync it, rename it over the
 * target, fsync the directory. A reader therefore sees the old or the new content, never a torn one.
 */
import { open, rename, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Atomically replaces `path` with `data` (durable once the promise resolves). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await syncDir(dir);
}

/** fsyncs a directory so that a rename or create in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } catch {
    // Some file systems refuse fsync on directories; the rename is then as durable as they allow.
  } finally {
    await dh.close();
  }
}

/** Reads a JSON file; undefined when it does not exist. Throws on corrupt content (never silently reset). */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return JSON.parse(text) as unknown;
}
