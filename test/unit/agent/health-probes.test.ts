import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandProbe, httpProbe, systemProber, tcpProbe } from '../../../src/agent/health/index.js';

let http: Server;
let httpPort = 0;
let tcp: TcpServer;
let tcpPort = 0;
let closedPort = 0;
let dir = '';

const listen = (s: Server | TcpServer): Promise<number> =>
  new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));

beforeAll(async () => {
  http = createServer((req, res) => {
    if (req.url === '/ok') res.writeHead(200).end('ok');
    else if (req.url === '/redirect') res.writeHead(302, { location: '/ok' }).end();
    else if (req.url === '/hang') return; // never answers
    else res.writeHead(404).end('no');
  });
  httpPort = await listen(http);
  tcp = createTcpServer((s) => s.end());
  tcpPort = await listen(tcp);
  // A port that was free a moment ago: nothing listens there.
  const tmp = createTcpServer();
  closedPort = await listen(tmp);
  await new Promise<void>((resolve) => tmp.close(() => resolve()));
  dir = await mkdtemp(join(tmpdir(), 'agora-health-'));
});

afterAll(async () => {
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await new Promise<void>((resolve) => tcp.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

const never = (): AbortSignal => new AbortController().signal;

describe('real probes on 127.0.0.1', () => {
  it('HTTP: status code, redirects followed, refused connection is an error', async () => {
    expect(await httpProbe(`http://127.0.0.1:${httpPort}/ok`, never())).toEqual({ kind: 'http', statusCode: 200 });
    expect(await httpProbe(`http://127.0.0.1:${httpPort}/missing`, never())).toEqual({ kind: 'http', statusCode: 404 });
    expect(await httpProbe(`http://127.0.0.1:${httpPort}/redirect`, never())).toEqual({ kind: 'http', statusCode: 200 });
    expect((await httpProbe(`http://127.0.0.1:${closedPort}/`, never())).kind).toBe('error');
  });

  it('HTTP: an abort ends a request that gets no answer', async () => {
    const ac = new AbortController();
    const p = httpProbe(`http://127.0.0.1:${httpPort}/hang`, ac.signal);
    ac.abort(new Error('timed out'));
    expect((await p).kind).toBe('error');
  });

  it('TCP: connect succeeds on a listening port, fails on a closed one', async () => {
    expect(await tcpProbe('127.0.0.1', tcpPort, never())).toEqual({ kind: 'tcp', succeeded: true });
    expect(await tcpProbe('127.0.0.1', closedPort, never())).toEqual({ kind: 'tcp', succeeded: false });
  });

  it('systemProber dispatches on the probe kind', async () => {
    const ctx = { cwd: dir, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } };
    expect(await systemProber({ kind: 'http', scheme: 'http', host: '127.0.0.1', port: httpPort, path: '/ok' }, ctx, never())).toEqual({ kind: 'http', statusCode: 200 });
    expect(await systemProber({ kind: 'tcp', host: '127.0.0.1', port: tcpPort }, ctx, never())).toEqual({ kind: 'tcp', succeeded: true });
  });

  it('COMMAND: runs in the sandbox with the task env plus its own variables; exec form too', async () => {
    const ctx = { cwd: dir, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', FROM_TASK: 'yes' } };
    const sh = { shell: true, value: 'test "$PWD" = "$EXPECT_DIR" && test "$FROM_TASK" = yes', environment: { variables: [{ name: 'EXPECT_DIR', value: dir }] } };
    expect(await commandProbe(sh, ctx, never())).toEqual({ kind: 'command', exitCode: 0 });
    expect(await commandProbe({ shell: true, value: 'exit 3' }, ctx, never())).toEqual({ kind: 'command', exitCode: 3 });
    expect(await commandProbe({ shell: false, value: '/bin/sh', arguments: ['sh', '-c', 'exit 4'] }, ctx, never())).toEqual({ kind: 'command', exitCode: 4 });
    expect((await commandProbe({ shell: false, value: '/nonexistent/binary' }, ctx, never())).kind).toBe('error');
  });

  it('COMMAND: an abort kills the whole process group', async () => {
    const ctx = { cwd: dir, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } };
    const ac = new AbortController();
    // The shell starts a grandchild; both must die with the group.
    const p = commandProbe({ shell: true, value: `sleep 30 & echo $! > ${join(dir, 'child.pid')}; wait` }, ctx, ac.signal);
    let pid = 0;
    for (let i = 0; i < 250 && !(pid > 0); i++) {
      pid = Number((await readFile(join(dir, 'child.pid'), 'utf8').catch(() => '')).trim());
      if (!(pid > 0)) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(pid).toBeGreaterThan(0);
    const t0 = performance.now();
    ac.abort(new Error('timed out'));
    expect(await p).toEqual({ kind: 'command', signal: 'SIGKILL' });
    expect(performance.now() - t0).toBeLessThan(5000);
    // Dead = gone or a zombie (it may be reparented to a subreaper that reaps it later).
    const alive = async (): Promise<boolean> => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    };
    let live = true;
    for (let i = 0; i < 100 && live; i++) {
      live = await alive();
      if (live) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(live).toBe(false);
  });
});
