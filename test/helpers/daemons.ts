/**
 * Real `agora` daemons as child processes for integration tests and benches. Each daemon runs
 * `node bin/agora.js <sub-command> --port <free> --work_dir <tmp> ...` in its own process group with its
 * stdout/stderr in `<tmp>/<name>.log`. Everything spawned is tracked so `cleanupAll()` can kill it, kill
 * stray task processes that mention a temp dir, and remove the temp dirs. No vitest import here (benches
 * use it too).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { killPids, pidsUsingPath } from './proc.js';
import { delay, waitFor } from './wait.js';

/** Repository root and the CLI entry point. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const AGORA_BIN = join(REPO_ROOT, 'bin', 'agora.js');

const tempDirs = new Set<string>();
const children = new Set<Spawned>();

/** A fresh temp dir, removed by cleanupAll(). */
export function tempDir(prefix = 'agora-it-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export type FlagMap = Readonly<Record<string, string | number | boolean>>;

/** `{a: 1, b: 'x'}` → `['--a', '1', '--b', 'x']`. */
export function flagArgs(flags: FlagMap = {}): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(flags)) out.push(`--${k}`, String(v));
  return out;
}

/** Any tracked child process (daemon or CLI run). */
export interface Spawned {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  readonly child: ChildProcess;
  /** Exit code (or 128+signal) once exited. */
  readonly exited: Promise<number>;
  exitCode(): number | undefined;
  /** Signal this process only (kill -9 is `kill('SIGKILL')`); resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<number>;
  /** SIGTERM, wait up to `timeoutMs`, then SIGKILL the whole process group; resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number>;
  log(): string;
}

/** A daemon that answered /health. */
export interface Daemon extends Spawned {
  readonly url: string;
  readonly port: number;
  readonly hostPort: string;
  readonly workDir: string;
}

const SIGNALS: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Spawns `node bin/agora.js ...args` tracked for cleanup, output to `logPath`. */
export function spawnAgora(name: string, args: readonly string[], logDir: string, env: NodeJS.ProcessEnv = {}, prefix: readonly string[] = []): Spawned {
  const logPath = join(logDir, `${name}.log`);
  const fd = openSync(logPath, 'a');
  // AGORA_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the daemons of a test or bench run.
  const nodeArgs = (process.env['AGORA_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  // A prefix (e.g. `ip netns exec <ns>`) must exec node in place, so the pid and group stay node's.
  const argv = [...prefix, process.execPath, ...nodeArgs, AGORA_BIN, ...args];
  const child = spawn(argv[0] ?? process.execPath, argv.slice(1), {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...env },
  });
  closeSync(fd);
  let code: number | undefined;
  const exited = new Promise<number>((res) => {
    child.once('exit', (c, sig) => {
      code = c ?? 128 + (sig === null ? 0 : (SIGNALS[sig] ?? 0));
      res(code);
    });
    child.once('error', () => {
      code = 127;
      res(code);
    });
  });
  const pid = child.pid ?? -1;
  const self: Spawned = {
    name,
    pid,
    logPath,
    child,
    exited,
    exitCode: () => code,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (code === undefined) {
        try {
          process.kill(pid, signal);
        } catch {
          // already gone
        }
      }
      return exited;
    },
    async stop(timeoutMs = 10_000) {
      if (code !== undefined) return code;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timedOut = await Promise.race([exited.then(() => false), delay(timeoutMs).then(() => true)]);
      if (timedOut) killGroup(pid);
      return exited;
    },
    log: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''),
  };
  children.add(self);
  return self;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // group gone
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** GET <url>/health answers 2xx. */
export async function isHealthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

async function waitHealthy(p: Spawned, url: string, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      if (p.exitCode() !== undefined) throw new Error(`${p.name} exited with ${p.exitCode()} before answering /health:\n${p.log().slice(-4000)}`);
      return isHealthy(url);
    },
    { timeoutMs, what: `${p.name} /health at ${url}`, intervalMs: 50 },
  ).catch((e: unknown) => {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- ${p.name} log ---\n${p.log().slice(-4000)}`);
  });
}

export interface MasterOptions {
  readonly workDir?: string;
  readonly port?: number;
  readonly flags?: FlagMap;
  readonly name?: string;
  readonly healthTimeoutMs?: number;
}

/** Starts `agora master` on a free (or given) port; resolves once /health answers. */
export async function startMaster(opts: MasterOptions = {}): Promise<Daemon> {
  const workDir = opts.workDir ?? tempDir('agora-master-');
  const port = opts.port ?? (await freePort());
  const name = opts.name ?? `master-${port}`;
  const p = spawnAgora(name, ['master', '--ip', '127.0.0.1', '--port', String(port), '--work_dir', workDir, ...flagArgs(opts.flags)], workDir);
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(p, url, opts.healthTimeoutMs ?? 30_000);
  return { ...p, url, port, hostPort: `127.0.0.1:${port}`, workDir };
}

export interface AgentOptions {
  /** A master daemon or `host:port`. */
  readonly master: Daemon | string;
  readonly workDir?: string;
  readonly port?: number;
  readonly resources?: string;
  readonly flags?: FlagMap;
  readonly name?: string;
  readonly healthTimeoutMs?: number;
}

/** Default small agent resources for tests. */
export const SMALL_RESOURCES = 'cpus:2;mem:1024;disk:1024;ports:[31000-31100]';

/** Starts `agora agent` registered to `master`; resolves once the agent's /health answers. */
export async function startAgent(opts: AgentOptions): Promise<Daemon> {
  const workDir = opts.workDir ?? tempDir('agora-agent-');
  const port = opts.port ?? (await freePort());
  const name = opts.name ?? `agent-${port}`;
  const master = typeof opts.master === 'string' ? opts.master : opts.master.hostPort;
  const args = ['agent', '--ip', '127.0.0.1', '--port', String(port), '--work_dir', workDir, '--master', master, '--resources', opts.resources ?? SMALL_RESOURCES, ...flagArgs(opts.flags)];
  const p = spawnAgora(name, args, workDir);
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(p, url, opts.healthTimeoutMs ?? 30_000);
  return { ...p, url, port, hostPort: `127.0.0.1:${port}`, workDir };
}

/** Runs `node bin/agora.js ...args` to completion (or `timeoutMs`), capturing stdout and stderr separately. */
export async function runAgora(args: readonly string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [AGORA_BIN, ...args], { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const pid = child.pid ?? -1;
  let exitCode: number | undefined;
  const exited = new Promise<number>((res) => {
    child.once('close', (c, sig) => {
      exitCode = c ?? 128 + (sig === null ? 0 : (SIGNALS[sig] ?? 0));
      res(exitCode);
    });
  });
  const tracker: Spawned = {
    name: `cli-${pid}`,
    pid,
    logPath: '',
    child,
    exited,
    exitCode: () => exitCode,
    kill: async () => {
      killGroup(pid);
      return exited;
    },
    stop: async () => {
      killGroup(pid);
      return exited;
    },
    log: () => stdout + stderr,
  };
  children.add(tracker);
  const timer = globalThis.setTimeout(() => {
    killGroup(pid);
    stderr += `\n[test] killed after ${timeoutMs} ms`;
  }, timeoutMs);
  const code = await exited;
  clearTimeout(timer);
  children.delete(tracker);
  return { code, stdout, stderr };
}

/** Tracks an externally spawned child so cleanupAll() kills its group. */
export function track(p: Spawned): void {
  children.add(p);
}

/** Logs of every tracked process, for failure reports. */
export function allLogs(maxPerProcess = 6000): string {
  return [...children].map((c) => `--- ${c.name} (pid ${c.pid}, exit ${c.exitCode() ?? 'running'}) ${c.logPath} ---\n${c.log().slice(-maxPerProcess)}`).join('\n');
}

/**
 * Kills every tracked process group (SIGKILL), then every live process whose cwd, argv or environment
 * mentions one of our temp dirs (task processes that outlived their agent), then removes the temp dirs.
 * Returns the pids of such stray processes (a leak is reported, not failed).
 */
export async function cleanupAll(): Promise<number[]> {
  const list = [...children];
  children.clear();
  for (const c of list) if (c.exitCode() === undefined) killGroup(c.pid);
  await Promise.race([Promise.all(list.map((c) => c.exited)), delay(5000)]);
  const strays: number[] = [];
  for (let round = 0; round < 3; round++) {
    const found = [...tempDirs].flatMap((d) => pidsUsingPath(d));
    if (found.length === 0) break;
    strays.push(...found);
    killPids(found);
    await delay(100);
  }
  for (const d of tempDirs) {
    try {
      rmSync(d, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // best effort
    }
  }
  tempDirs.clear();
  return [...new Set(strays)];
}
