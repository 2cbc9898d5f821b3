/**
 * `agora up` (what `npm start` runs): a master, N agents, `agora apps` and `agora jobs` on this machine, each a child process
 * (`node bin/agora.js master|agent ...`) so that a crash or a blocking task in one cannot take the others
 * down, logging to <work_dir>/logs. Waits until they answer HTTP and the agents have registered, prints the
 * URLs and example commands, and on Ctrl-C / SIGTERM stops frameworks, agents, then master and exits 0.
 */
import { Command } from 'commander';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, statfsSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SystemClock, sleep, type Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { getJson } from '../transport/http-client.js';
import { planUp, type DaemonPlan, type HostCapacity, type UpPlan } from './up-plan.js';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'agora.js');
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

interface UpFlags {
  agents: string;
  port: string;
  ip: string;
  work_dir: string;
  apps: boolean;
  jobs: boolean;
  apps_port: string;
  jobs_port: string;
  lb: boolean;
  lb_port: string;
}

export function upCommand(): Command {
  return new Command('up')
    .description('run a master, agents, apps, jobs and the lb on this machine (state under ./.agora)')
    .option('--agents <n>', 'number of agents', '1')
    .option('--port <port>', 'master port; agents use the following ports', '5050')
    .option('--ip <ip>', 'address every daemon binds to', '127.0.0.1')
    .option('--work_dir <dir>', 'state and logs', '.agora')
    .option('--apps_port <port>', 'port of agora apps (Marathon /v2 API)', '8080')
    .option('--jobs_port <port>', 'port of agora jobs (Chronos API)', '4400')
    .option('--no-apps', 'do not start agora apps')
    .option('--no-jobs', 'do not start agora jobs')
    .option('--lb_port <port>', 'status port of agora lb, which serves every app service port (HAProxy if installed, else built in)', '9090')
    .option('--no-lb', 'do not start agora lb')
    .action(async (opts: UpFlags) => runUp(opts));
}

function hostCapacity(workDir: string): HostCapacity {
  const fs = statfsSync(workDir);
  return { cpus: availableParallelism(), memMb: Math.floor(totalmem() / 1048576), diskMb: Math.floor((fs.bavail * fs.bsize) / 1048576) };
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function runUp(opts: UpFlags): Promise<void> {
  const clock = new SystemClock();
  const workDir = resolve(opts.work_dir);
  mkdirSync(join(workDir, 'logs'), { recursive: true });
  const plan = planUp(
    {
      agents: Number(opts.agents),
      port: Number(opts.port),
      ip: opts.ip,
      workDir,
      appsPort: opts.apps ? Number(opts.apps_port) : undefined,
      jobsPort: opts.jobs ? Number(opts.jobs_port) : undefined,
      lbPort: opts.lb ? Number(opts.lb_port) : undefined,
    },
    hostCapacity(workDir),
  );
  const children = new Map<DaemonPlan, ChildProcess>();
  let stopping = false;

  const stopAll = async (code: number): Promise<never> => {
    stopping = true;
    // Frameworks, then agents, so each leaves while the master can still hear it.
    for (const daemon of [...plan.frameworks, ...plan.agents, plan.master]) {
      const child = children.get(daemon);
      if (child !== undefined) await stopChild(child, clock);
    }
    process.exit(code);
  };
  const onSignal = (): void => {
    if (stopping) return;
    say('Stopping...');
    void stopAll(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Last resort if this process dies another way: never leave daemons behind.
  process.on('exit', () => {
    for (const child of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });

  const start = (d: DaemonPlan): void => {
    mkdirSync(d.workDir, { recursive: true });
    const fd = openSync(d.logFile, 'a');
    // Own process group: Ctrl-C reaches only this process, which then stops the children in order.
    const child = spawn(process.execPath, [BIN, ...d.args], { stdio: ['ignore', fd, fd], env: process.env, detached: true });
    closeSync(fd);
    children.set(d, child);
    child.on('exit', (code, signal) => {
      if (stopping) return;
      say(`${d.label} exited (${signal ?? `code ${code ?? '?'}`}); see ${d.logFile}. Stopping everything.`);
      void stopAll(1);
    });
  };

  try {
    start(plan.master);
    await waitHttp(plan.master.url, clock);
    for (const a of plan.agents) start(a);
    for (const a of plan.agents) await waitHttp(a.url, clock);
    await waitAgentsRegistered(plan.master.url, plan.agents.length, clock);
    for (const f of plan.frameworks) start(f);
    for (const f of plan.frameworks) await waitHttp(f.url, clock, f.kind === 'lb' ? '/health' : '/ping');
  } catch (e: unknown) {
    say(`agora up failed: ${errorMessage(e)} (logs in ${join(workDir, 'logs')})`);
    await stopAll(1);
  }
  printBanner(plan, opts.ip);
}

function printBanner(plan: UpPlan, ip: string): void {
  const masterUrl = plan.master.url;
  const port = new URL(masterUrl).port;
  say('Agora is up.');
  for (const d of [plan.master, ...plan.agents, ...plan.frameworks]) say(`  ${d.label.padEnd(8)} ${d.url}   log: ${d.logFile}`);
  say('Try:');
  say(`  npx agora execute --master ${ip}:${port} --name hello --command 'echo hi; exit 3'`);
  say(`  curl -s ${masterUrl}/master/state`);
  const apps = plan.frameworks.find((f) => f.kind === 'apps');
  if (apps !== undefined) say(`  npx agora app list --apps ${apps.url}`);
  say('Press Ctrl-C to stop.');
}

/** Any HTTP answer means the daemon is listening. */
async function waitHttp(url: string, clock: Clock, path = '/version'): Promise<void> {
  const deadline = clock.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      await getJson(`${url}${path}`);
      return;
    } catch (e: unknown) {
      if (clock.now() > deadline) throw new Error(`${url} did not answer: ${errorMessage(e)}`);
    }
    await sleep(clock, 200);
  }
}

/** Waits (bounded) until /master/state lists n agents; a master that is slow to show them only earns a warning. */
async function waitAgentsRegistered(masterUrl: string, n: number, clock: Clock): Promise<void> {
  if (n === 0) return;
  const deadline = clock.now() + 20_000;
  while (clock.now() < deadline) {
    try {
      const res = await getJson(`${masterUrl}/master/state`);
      const state = JSON.parse(res.body) as { slaves?: unknown[] };
      if ((state.slaves?.length ?? 0) >= n) return;
    } catch {
      // not ready yet
    }
    await sleep(clock, 250);
  }
  say(`warning: the master does not list ${n} agent(s) yet; check the agent logs`);
}

/** SIGTERM, then SIGKILL if it has not exited after STOP_TIMEOUT_MS. */
async function stopChild(child: ChildProcess, clock: Clock): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = clock.after(STOP_TIMEOUT_MS, () => child.kill('SIGKILL'));
  await exited;
  timer.cancel();
}
