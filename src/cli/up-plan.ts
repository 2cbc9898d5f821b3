/**
 * What `agora up` starts, computed without side effects: the master and N agents on consecutive ports,
 * then the frameworks (`agora apps`, `agora jobs`) and `agora lb` (the apps' service ports) on their own ports, each with its own work dir, and the machine's resources split between the agents so that several agents
 * on one host do not each claim all of it (same headroom rules as upstream's auto-detection).
 */
import { join } from 'node:path';

export interface HostCapacity {
  readonly cpus: number;
  readonly memMb: number;
  /** Free space of the work dir's file system. */
  readonly diskMb: number;
}

export interface UpOptions {
  readonly agents: number;
  readonly port: number;
  readonly ip: string;
  readonly workDir: string;
  /** Port of `agora apps`; undefined = do not start it. */
  readonly appsPort?: number | undefined;
  /** Port of `agora jobs`; undefined = do not start it. */
  readonly jobsPort?: number | undefined;
  /** Status port of `agora lb` (service ports of the apps); undefined, or no apps, = do not start it. */
  readonly lbPort?: number | undefined;
}

export interface DaemonPlan {
  readonly label: string;
  readonly kind: 'master' | 'agent' | 'apps' | 'jobs' | 'lb';
  readonly url: string;
  readonly workDir: string;
  readonly logFile: string;
  /** Arguments after `agora`. */
  readonly args: readonly string[];
}

export interface UpPlan {
  readonly master: DaemonPlan;
  readonly agents: readonly DaemonPlan[];
  /** Started after the agents registered, stopped before them. */
  readonly frameworks: readonly DaemonPlan[];
}

const PORTS_BEGIN = 31000;
const PORTS_END = 32000;

/** Upstream leaves 1 GB of memory to the OS (half when the host has less than 2 GB). */
function usableMemMb(memMb: number): number {
  return memMb >= 2048 ? memMb - 1024 : Math.floor(memMb / 2);
}

/** Upstream leaves 5 GB of disk (half when less than 10 GB is free). */
function usableDiskMb(diskMb: number): number {
  return diskMb >= 10_240 ? diskMb - 5_120 : Math.floor(diskMb / 2);
}

/** `--resources` of agent i (0-based) of n: an equal share of cpus, mem and disk, and its own port range. */
export function agentResources(i: number, n: number, host: HostCapacity): string {
  const cpus = Math.max(0.1, Math.floor((host.cpus / n) * 10) / 10);
  const mem = Math.max(32, Math.floor(usableMemMb(host.memMb) / n));
  const disk = Math.max(32, Math.floor(usableDiskMb(host.diskMb) / n));
  const width = Math.floor((PORTS_END - PORTS_BEGIN + 1) / n);
  const begin = PORTS_BEGIN + i * width;
  const end = i === n - 1 ? PORTS_END : begin + width - 1;
  return `cpus:${cpus};mem:${mem};disk:${disk};ports:[${begin}-${end}]`;
}

/**
 * Master on `port`, agent i on `port + 1 + i`, apps/jobs on their ports when given; state under
 * workDir/{master,agent-<i>,apps,jobs} and logs under workDir/logs.
 */
export function planUp(opts: UpOptions, host: HostCapacity): UpPlan {
  if (!Number.isInteger(opts.agents) || opts.agents < 0) throw new Error(`--agents must be a non-negative integer, got ${opts.agents}`);
  const masterDir = join(opts.workDir, 'master');
  const logs = join(opts.workDir, 'logs');
  const master: DaemonPlan = {
    label: 'master',
    kind: 'master',
    url: `http://${opts.ip}:${opts.port}`,
    workDir: masterDir,
    logFile: join(logs, 'master.log'),
    args: ['master', '--ip', opts.ip, '--port', String(opts.port), '--work_dir', masterDir],
  };
  const agents: DaemonPlan[] = [];
  for (let i = 0; i < opts.agents; i++) {
    const port = opts.port + 1 + i;
    const dir = join(opts.workDir, `agent-${i + 1}`);
    agents.push({
      label: `agent ${i + 1}`,
      kind: 'agent',
      url: `http://${opts.ip}:${port}`,
      workDir: dir,
      logFile: join(logs, `agent-${i + 1}.log`),
      args: [
        'agent',
        '--ip', opts.ip,
        '--port', String(port),
        '--master', `${opts.ip}:${opts.port}`,
        '--work_dir', dir,
        '--resources', agentResources(i, opts.agents, host),
      ],
    });
  }
  const frameworks: DaemonPlan[] = [];
  const masterHostPort = `${opts.ip}:${opts.port}`;
  for (const [kind, port] of [['apps', opts.appsPort], ['jobs', opts.jobsPort]] as const) {
    if (port === undefined) continue;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--${kind}_port must be a port number, got ${port}`);
    const dir = join(opts.workDir, kind);
    frameworks.push({
      label: kind,
      kind,
      url: `http://${opts.ip}:${port}`,
      workDir: dir,
      logFile: join(logs, `${kind}.log`),
      args: [kind, '--ip', opts.ip, '--port', String(port), '--master', masterHostPort, '--work_dir', dir],
    });
  }
  if (opts.lbPort !== undefined && opts.appsPort !== undefined) {
    const port = opts.lbPort;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--lb_port must be a port number, got ${port}`);
    const dir = join(opts.workDir, 'lb');
    frameworks.push({
      label: 'lb',
      kind: 'lb',
      url: `http://${opts.ip}:${port}`,
      workDir: dir,
      logFile: join(logs, 'lb.log'),
      // Every app's service ports (`--group *`: a local cluster has no HAPROXY_GROUP labels), and only those:
      // the vhost ports (80/443) need root, and the stats page is not needed locally.
      args: ['lb', '--apps', `http://${opts.ip}:${opts.appsPort}`, '--group', '*', '--bind', opts.ip, '--port', String(port), '--stats-port', '0', '--http-port', '0', '--https-port', '0', '--proxy', 'auto', '--run-dir', dir],
    });
  }
  return { master, agents, frameworks };
}
