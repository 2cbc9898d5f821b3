/**
 * Real ZooKeeper servers for tests and benches (Debian package `zookeeper`: /usr/share/java/zookeeper.jar and a
 * JRE). `startZooKeeper()` starts a standalone server, `startZooKeeper({ servers: 3 })` a quorum ensemble, each
 * server on free ports with its own temp data dir and config, and resolves once every server serves clients
 * (`srvr` four-letter word reports a mode). Every server process is tracked so `cleanupAll()` kills it. Java
 * starts slowly (~1–2 s): share one ensemble per test file (beforeAll / afterAll).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { tempDir, track, type Spawned } from './daemons.js';
import { freePort } from './ports.js';
import { delay, waitFor } from './wait.js';

const ZK_JAR = '/usr/share/java/zookeeper.jar';
/** slf4j-simple turns ZooKeeper's logging on (to the server's log file); without it slf4j is silent. */
const LOG_JAR = '/usr/share/java/slf4j-simple.jar';

/** One ZooKeeper server of an ensemble; can be stopped, killed, paused and started again on the same ports. */
export interface ZkServer {
  readonly id: number;
  readonly clientPort: number;
  /** `127.0.0.1:<clientPort>`. */
  readonly hostPort: string;
  readonly dataDir: string;
  readonly logPath: string;
  /** True while its process runs. */
  running(): boolean;
  /** Starts it again (after stop/kill) with the same config and data; resolves once it runs (not necessarily serving). */
  start(): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
  /** SIGKILL. */
  kill(): Promise<void>;
  /** The answer to a four-letter word ('' when it does not answer). */
  fourLetter(word: 'ruok' | 'srvr' | 'mntr'): Promise<string>;
}

export interface ZkEnsemble {
  readonly servers: readonly ZkServer[];
  /** `127.0.0.1:p1,127.0.0.1:p2,...` */
  readonly connectString: string;
  /** `zk://127.0.0.1:p1,.../<path>` (path without a leading slash is fine). */
  url(path: string): string;
  /** Resolves once every running server serves requests (a quorum is up). */
  waitServing(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface ZkOptions {
  /** 1 (standalone, default) or 3 (quorum). */
  readonly servers?: 1 | 3;
  /** ZooKeeper tick in ms (default 200: min session timeout = 2 ticks, so tests may use short sessions). */
  readonly tickMs?: number;
}

/** True when the ZooKeeper jar and a `java` are installed. */
export function zooKeeperInstalled(): boolean {
  return existsSync(ZK_JAR);
}

/** Starts a standalone server or a 3-server ensemble; resolves once it serves clients. */
export async function startZooKeeper(opts: ZkOptions = {}): Promise<ZkEnsemble> {
  if (!zooKeeperInstalled()) throw new Error(`ZooKeeper is not installed (${ZK_JAR} missing): apt-get install -y zookeeper`);
  const n = opts.servers ?? 1;
  const tick = opts.tickMs ?? 200;
  const ports: { client: number; peer: number; election: number }[] = [];
  for (let i = 0; i < n; i++) ports.push({ client: await freePort(), peer: await freePort(), election: await freePort() });
  const root = tempDir('agora-zk-');
  const servers = ports.map((p, i) => {
    const id = i + 1;
    const dir = join(root, `zk${id}`);
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    const lines = [
      `tickTime=${tick}`,
      'initLimit=20',
      'syncLimit=10',
      `dataDir=${dataDir}`,
      `clientPort=${p.client}`,
      'clientPortAddress=127.0.0.1',
      `minSessionTimeout=${2 * tick}`,
      'maxSessionTimeout=60000',
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok,srvr,mntr,stat',
      // Tests write a few MB at most; keep snapshots rare and the transaction log small.
      'preAllocSize=4096',
      'snapCount=100000',
      'forceSync=no',
    ];
    if (n > 1) {
      writeFileSync(join(dataDir, 'myid'), `${id}\n`);
      ports.forEach((q, j) => lines.push(`server.${j + 1}=127.0.0.1:${q.peer}:${q.election}`));
    }
    const cfg = join(dir, 'zoo.cfg');
    writeFileSync(cfg, `${lines.join('\n')}\n`);
    return makeServer(id, p.client, dataDir, cfg, join(dir, 'zookeeper.log'));
  });
  await Promise.all(servers.map((s) => s.start()));
  const connectString = servers.map((s) => s.hostPort).join(',');
  const ensemble: ZkEnsemble = {
    servers,
    connectString,
    url: (path: string) => `zk://${connectString}/${path.replace(/^\/+/, '')}`,
    async waitServing(timeoutMs = 30_000) {
      await waitFor(
        async () => {
          const live = servers.filter((s) => s.running());
          const answers = await Promise.all(live.map((s) => s.fourLetter('srvr')));
          return live.length > 0 && answers.every((a) => a.includes('Mode:'));
        },
        { timeoutMs, intervalMs: 100, what: 'ZooKeeper serving' },
      ).catch((e: unknown) => {
        throw new Error(`${e instanceof Error ? e.message : String(e)}\n${servers.map((s) => `--- zk${s.id} ---\n${readLog(s.logPath).slice(-3000)}`).join('\n')}`);
      });
    },
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
  await ensemble.waitServing();
  return ensemble;
}

function readLog(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

function makeServer(id: number, clientPort: number, dataDir: string, cfg: string, logPath: string): ZkServer {
  let proc: { pid: number; exited: Promise<number>; code: number | undefined } | undefined;
  const running = (): boolean => proc !== undefined && proc.code === undefined;
  const signal = (sig: NodeJS.Signals): void => {
    if (proc === undefined || proc.code !== undefined) return;
    try {
      process.kill(proc.pid, sig);
    } catch {
      // already gone
    }
  };
  const server: ZkServer = {
    id,
    clientPort,
    hostPort: `127.0.0.1:${clientPort}`,
    dataDir,
    logPath,
    running,
    async start() {
      if (running()) return;
      const fd = openSync(logPath, 'a');
      const classpath = [ZK_JAR, ...(existsSync(LOG_JAR) ? [LOG_JAR] : [])].join(':');
      const args = [
        '-Xmx256m',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
        '-Dzookeeper.jmx.log4j.disable=true',
        '-cp',
        classpath,
        'org.apache.zookeeper.server.quorum.QuorumPeerMain',
        cfg,
      ];
      const child = spawn('java', args, { detached: true, stdio: ['ignore', fd, fd] });
      closeSync(fd);
      const state: { pid: number; exited: Promise<number>; code: number | undefined } = { pid: child.pid ?? -1, exited: Promise.resolve(0), code: undefined };
      state.exited = new Promise<number>((res) => {
        child.once('exit', (c, sig) => {
          state.code = c ?? (sig === null ? 128 : 137);
          res(state.code);
        });
        child.once('error', () => {
          state.code = 127;
          res(127);
        });
      });
      proc = state;
      const tracked: Spawned = {
        name: `zookeeper-${id}-${clientPort}`,
        pid: state.pid,
        logPath,
        child,
        exited: state.exited,
        exitCode: () => state.code,
        kill: async (sig: NodeJS.Signals = 'SIGKILL') => {
          signal(sig);
          return state.exited;
        },
        stop: async () => {
          await server.stop();
          return state.exited;
        },
        log: () => readLog(logPath),
      };
      track(tracked);
      await waitFor(async () => {
        if (state.code !== undefined) throw new Error(`zookeeper ${id} exited with ${state.code}:\n${readLog(logPath).slice(-3000)}`);
        return (await server.fourLetter('ruok')) === 'imok';
      }, { timeoutMs: 30_000, intervalMs: 100, what: `zookeeper ${id} answering ruok` });
    },
    async stop() {
      if (proc === undefined || proc.code !== undefined) return;
      const p = proc;
      signal('SIGCONT');
      signal('SIGTERM');
      const timedOut = await Promise.race([p.exited.then(() => false), delay(5000).then(() => true)]);
      if (timedOut) signal('SIGKILL');
      await p.exited;
    },
    async kill() {
      if (proc === undefined || proc.code !== undefined) return;
      const p = proc;
      signal('SIGKILL');
      await p.exited;
    },
    fourLetter: (word) => fourLetterWord(clientPort, word),
  };
  return server;
}

/** Sends a four-letter word and reads the whole answer ('' on any error or after 2 s). */
async function fourLetterWord(port: number, word: string): Promise<string> {
  return new Promise<string>((resolve) => {
    let out = '';
    const sock = connect(port, '127.0.0.1', () => sock.write(word));
    sock.setTimeout(2000, () => sock.destroy());
    sock.on('data', (d: Buffer) => (out += d.toString()));
    sock.on('error', () => resolve(''));
    sock.on('close', () => resolve(out));
  });
}
