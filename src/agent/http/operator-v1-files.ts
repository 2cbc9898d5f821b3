/**
 * LIST_FILES and READ_FILE of the v1 agent operator API (spec §5.9/§5.10 "as master"): the same attached
 * paths, longest-prefix resolution and `..` refusal as `/files/*` (files.ts), answered in v1 shapes:
 * FileInfo `{path, nlink, size, mtime: TimeInfo, mode: st_mode, uid, gid}` and `{size, data: base64}`.
 * Reads are capped at 16 pages (64 KiB) like `/files/read`.
 */
import { open, readdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { names, resolveFilePath } from './files.js';

/** Largest READ_FILE answer: 16 pages of 4 KiB (upstream's cap). */
export const READ_FILE_CAP = 16 * 4096;

/** Outcome of a files call: a Response body, or an HTTP status with a text message. */
export type FilesResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly status: number; readonly message: string };

const NOT_FOUND = { ok: false, status: 404, message: 'No such file or directory.' } as const;

async function lookup(attached: ReadonlyMap<string, string>, path: string): Promise<FilesResult<{ host: string; st: Stats }>> {
  if (path === '') return { ok: false, status: 400, message: "Expecting 'path' to be non-empty" };
  const host = resolveFilePath(attached, path);
  if (host === undefined) return NOT_FOUND;
  try {
    return { ok: true, value: { host, st: await stat(host) } };
  } catch {
    return NOT_FOUND;
  }
}

async function fileInfo(virtualPath: string, s: Stats): Promise<Record<string, unknown>> {
  const { users, groups } = await names();
  return {
    path: virtualPath,
    nlink: s.nlink,
    size: s.size,
    mtime: { nanoseconds: Math.floor(s.mtimeMs / 1000) * 1e9 },
    mode: s.mode,
    uid: users.get(s.uid) ?? String(s.uid),
    gid: groups.get(s.gid) ?? String(s.gid),
  };
}

/** LIST_FILES: the entries of a directory sorted by path, or the one FileInfo of a file. */
export async function listFiles(attached: ReadonlyMap<string, string>, path: string): Promise<FilesResult<{ file_infos: Record<string, unknown>[] }>> {
  const found = await lookup(attached, path);
  if (!found.ok) return found;
  const base = path.replace(/\/+$/, '');
  if (!found.value.st.isDirectory()) return { ok: true, value: { file_infos: [await fileInfo(base, found.value.st)] } };
  const out: Record<string, unknown>[] = [];
  for (const name of (await readdir(found.value.host)).sort()) {
    const s = await stat(join(found.value.host, name)).catch(() => undefined);
    if (s !== undefined) out.push(await fileInfo(`${base}/${name}`, s));
  }
  return { ok: true, value: { file_infos: out } };
}

/** READ_FILE: `size` is the file's size; `data` (base64) the bytes from `offset`, at most `length` and the cap. */
export async function readFileRange(
  attached: ReadonlyMap<string, string>,
  path: string,
  offset: number,
  length: number | undefined,
): Promise<FilesResult<{ size: number; data: string }>> {
  const found = await lookup(attached, path);
  if (!found.ok) return found;
  if (found.value.st.isDirectory()) return { ok: false, status: 400, message: 'Cannot read a directory.' };
  const size = found.value.st.size;
  if (offset >= size) return { ok: true, value: { size, data: '' } };
  const want = Math.min(length ?? size - offset, READ_FILE_CAP, size - offset);
  if (want <= 0) return { ok: true, value: { size, data: '' } };
  const fh = await open(found.value.host, 'r');
  try {
    const buf = Buffer.alloc(want);
    const { bytesRead } = await fh.read(buf, 0, want, offset);
    return { ok: true, value: { size, data: buf.subarray(0, bytesRead).toString('base64') } };
  } finally {
    await fh.close();
  }
}
