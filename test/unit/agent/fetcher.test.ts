import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fetcher, FetchError, targetName } from '../../../src/agent/containerizer/fetcher.js';

let dir: string;
let sandbox: string;
let fetcher: Fetcher;
let server: Server | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agora-fetch-'));
  sandbox = join(dir, 'sandbox');
  mkdirSync(sandbox);
  fetcher = new Fetcher({ cacheDir: join(dir, 'cache') });
});

afterEach(async () => {
  if (server !== undefined) await new Promise<void>((r) => server?.close(() => r()));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('fetcher', () => {
  it('copies a local path and a file:// URI, honouring output_file', async () => {
    writeFileSync(join(dir, 'a.txt'), 'A');
    await fetcher.fetchAll([{ value: join(dir, 'a.txt') }, { value: `file://${join(dir, 'a.txt')}`, output_file: 'sub/b.txt' }], sandbox);
    expect(readFileSync(join(sandbox, 'a.txt'), 'utf8')).toBe('A');
    expect(readFileSync(join(sandbox, 'sub/b.txt'), 'utf8')).toBe('A');
    expect(fetcher.fetchesSucceeded).toBe(1);
  });

  it('extracts a tar.gz into the sandbox (and not when extract is false)', async () => {
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'inside.txt'), 'in');
    execFileSync('tar', ['-czf', join(dir, 'pkg.tar.gz'), '-C', join(dir, 'src'), 'inside.txt']);
    await fetcher.fetchAll([{ value: join(dir, 'pkg.tar.gz') }], sandbox);
    expect(readFileSync(join(sandbox, 'inside.txt'), 'utf8')).toBe('in');
    const other = join(dir, 'sb2');
    mkdirSync(other);
    await fetcher.fetchAll([{ value: join(dir, 'pkg.tar.gz'), extract: false }], other);
    expect(readdirSync(other)).toEqual(['pkg.tar.gz']);
  });

  it('sets the executable bit', async () => {
    writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o644 });
    await fetcher.fetchAll([{ value: join(dir, 'run.sh'), executable: true }], sandbox);
    expect(statSync(join(sandbox, 'run.sh')).mode & 0o111).toBe(0o111);
  });

  it('downloads over http, through the cache when asked', async () => {
    let hits = 0;
    server = createServer((req, res) => {
      hits++;
      if (req.url === '/missing') res.writeHead(404).end('no');
      else res.writeHead(200).end(`body of ${req.url ?? ''}`);
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const addr = server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    const url = `http://127.0.0.1:${port}/files/data.bin?x=1`;
    expect(targetName({ value: url })).toBe('data.bin');
    await fetcher.fetchAll([{ value: url, cache: true }], sandbox);
    expect(readFileSync(join(sandbox, 'data.bin'), 'utf8')).toBe('body of /files/data.bin?x=1');
    const other = join(dir, 'sb2');
    mkdirSync(other);
    await fetcher.fetchAll([{ value: url, cache: true }], other);
    expect(readFileSync(join(other, 'data.bin'), 'utf8')).toBe('body of /files/data.bin?x=1');
    expect(hits).toBe(1);
    await expect(fetcher.fetchAll([{ value: `http://127.0.0.1:${port}/missing` }], sandbox)).rejects.toThrow(/Failed to fetch 'http:\/\/127.0.0.1:\d+\/missing': HTTP 404/);
    expect(fetcher.fetchesFailed).toBe(1);
  });

  it('fails clearly for a missing file and for paths escaping the sandbox', async () => {
    await expect(fetcher.fetchAll([{ value: join(dir, 'nope') }], sandbox)).rejects.toBeInstanceOf(FetchError);
    await expect(fetcher.fetchAll([{ value: join(dir, 'nope') }], sandbox)).rejects.toThrow(/Failed to fetch '.*nope'/);
    writeFileSync(join(dir, 'a.txt'), 'A');
    await expect(fetcher.fetchAll([{ value: join(dir, 'a.txt'), output_file: '../../evil' }], sandbox)).rejects.toThrow(/escapes the sandbox/);
    expect(existsSync(join(dir, 'evil'))).toBe(false);
  });
});
