/**
 * The URI fetcher: puts each CommandInfo.URI into the sandbox before the task starts. Local paths and
 * file:// are copied, http(s):// downloaded with undici; archives are extracted with the system `tar`
 * (tar, tar.gz/tgz, tar.bz2, tar.xz) or `unzip` when `extract` is set (default true); `executable` makes
 * the file executable; `output_file` renames it; `cache` keeps a copy in a fetcher cache keyed by URI.
 * Any failure rejects with a FetchError whose message names the URI.
 */
import { copyFile, chmod, mkdir, stat, rename, rm } from 'node:fs/promises';
import { createWriteStream, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { basename, join, resolve, relative, isAbsolute } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';
import type { Static } from '@sinclair/typebox';
import type { CommandURI } from '../../api/mesos/common.js';

export type UriJson = Static<typeof CommandURI>;

export class FetchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FetchError';
  }
}

const ARCHIVE = /\.(tar|tar\.gz|tgz|tar\.bz2|tbz2|tar\.xz|txz|zip)$/i;

/** Name the URI's file gets in the sandbox. */
export function targetName(uri: UriJson): string {
  if (uri.output_file !== undefined && uri.output_file !== '') return uri.output_file;
  const v = uri.value;
  const path = /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? new URL(v).pathname : v;
  const name = basename(decodeURIComponent(path));
  return name === '' || name === '/' ? 'download' : name;
}

function run(cmd: string, args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < 4096) err += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`${cmd} exited with status ${code ?? 'null'}: ${err.trim()}`));
    });
  });
}

async function download(url: string, dest: string, signal?: AbortSignal): Promise<void> {
  const res = await request(url, { method: 'GET', maxRedirections: 5, ...(signal ? { signal } : {}) });
  if (res.statusCode < 200 || res.statusCode >= 300) {
    await res.body.dump();
    throw new Error(`HTTP ${res.statusCode}`);
  }
  await pipeline(res.body, createWriteStream(dest));
}

async function acquire(uri: UriJson, dest: string, signal?: AbortSignal): Promise<void> {
  const v = uri.value;
  if (/^https?:\/\//i.test(v)) return download(v, dest, signal);
  const path = v.startsWith('file://') ? decodeURIComponent(new URL(v).pathname) : v;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) throw new Error('unsupported URI scheme');
  if (!isAbsolute(path)) throw new Error('a local URI must be an absolute path');
  await copyFile(path, dest);
}

export interface FetcherOptions {
  /** Cache directory (under the agent's work_dir). */
  readonly cacheDir: string;
}

/** Fetches URIs into sandboxes. Stateless apart from the on-disk cache. */
export class Fetcher {
  private readonly hasUnzip = existsSync('/usr/bin/unzip') || existsSync('/bin/unzip');
  fetchesSucceeded = 0;
  fetchesFailed = 0;

  constructor(private readonly opts: FetcherOptions) {}

  /** Fetches every URI in order; rejects with FetchError on the first failure. */
  async fetchAll(uris: readonly UriJson[], sandbox: string, signal?: AbortSignal): Promise<void> {
    try {
      for (const uri of uris) await this.fetchOne(uri, sandbox, signal);
      if (uris.length > 0) this.fetchesSucceeded++;
    } catch (e: unknown) {
      this.fetchesFailed++;
      throw e;
    }
  }

  private async fetchOne(uri: UriJson, sandbox: string, signal?: AbortSignal): Promise<void> {
    const name = targetName(uri);
    const dest = resolve(sandbox, name);
    const rel = relative(sandbox, dest);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new FetchError(`Failed to fetch '${uri.value}': output_file escapes the sandbox`);
    try {
      await mkdir(resolve(dest, '..'), { recursive: true });
      if (uri.cache === true) await this.viaCache(uri, dest, signal);
      else await acquire(uri, dest, signal);
      if (uri.executable === true) {
        await chmod(dest, 0o755);
      } else if (uri.extract !== false && ARCHIVE.test(name)) {
        await this.extract(dest, sandbox);
      }
    } catch (e: unknown) {
      if (e instanceof FetchError) throw e;
      throw new FetchError(`Failed to fetch '${uri.value}': ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  private async viaCache(uri: UriJson, dest: string, signal?: AbortSignal): Promise<void> {
    const key = createHash('sha256').update(uri.value).digest('hex').slice(0, 32);
    const cached = join(this.opts.cacheDir, key);
    const present = await stat(cached).then(
      () => true,
      () => false,
    );
    if (!present) {
      await mkdir(this.opts.cacheDir, { recursive: true });
      const tmp = `${cached}.${process.pid}.part`;
      try {
        await acquire(uri, tmp, signal);
        await rename(tmp, cached);
      } catch (e: unknown) {
        await rm(tmp, { force: true });
        throw e;
      }
    }
    await copyFile(cached, dest);
  }

  private async extract(file: string, sandbox: string): Promise<void> {
    if (/\.zip$/i.test(file)) {
      if (!this.hasUnzip) throw new Error('cannot extract zip archives: `unzip` is not installed on this agent');
      await run('unzip', ['-o', '-q', file, '-d', sandbox], sandbox);
      return;
    }
    // GNU tar detects gzip/bzip2/xz compression itself when reading a file.
    await run('tar', ['-xf', file, '-C', sandbox], sandbox);
  }
}
