/**
 * Agent flags (spec §6.1) and what the agent derives from them at start-up: total resources (explicit
 * `--resources` entries win; missing cpus/mem/disk/ports are detected from the machine) and attributes.
 */
import { cpus, totalmem } from 'node:os';
import { mkdir, statfs } from 'node:fs/promises';
import type { FlagSpec, FlagValues } from '../core/flags.js';
import { bool, num, str } from '../core/flags.js';
import { invalid } from '../core/errors.js';
import { parseResources, Resources } from '../core/resources.js';
import type { AttributeJson } from '../api/mesos/common.js';
import { DEFAULT_CONTAINERIZER_SETTINGS, type ContainerizerSettings } from './containerizer/select.js';

/** The agent's flags; names and defaults follow upstream. */
export const AGENT_FLAGS: readonly FlagSpec[] = [
  { name: 'port', type: 'int', help: 'Port to listen on (0 = ephemeral)', default: '5051' },
  { name: 'ip', type: 'string', help: 'IP address to listen on and advertise', default: '127.0.0.1' },
  { name: 'hostname', type: 'string', help: 'Hostname to advertise (default: the ip)' },
  { name: 'master', type: 'string', help: 'Master address host:port, or zk://host:2181,.../path to follow the leader (required)' },
  { name: 'work_dir', type: 'string', help: 'Directory for sandboxes and the checkpoint (required)' },
  { name: 'resources', type: 'string', help: 'Total resources: `cpus:4;mem:2048;ports:[31000-32000]` or JSON; missing ones are detected' },
  { name: 'attributes', type: 'string', help: 'Attributes: `rack:r1;zone:2`' },
  { name: 'default_role', type: 'string', help: 'Role of resources given without one', default: '*' },
  { name: 'executor_shutdown_grace_period', type: 'duration', help: 'Grace given to tasks when their framework shuts down', default: '5secs' },
  { name: 'executor_registration_timeout', type: 'duration', help: 'A custom executor must subscribe within this long or it is killed', default: '1mins' },
  { name: 'executor_reregistration_timeout', type: 'duration', help: 'After an agent restart, executors must re-subscribe within this long', default: '2secs' },
  { name: 'recovery_timeout', type: 'duration', help: 'How long executors of checkpointing frameworks wait for a restarted agent', default: '15mins' },
  { name: 'status_update_retry_interval', type: 'duration', help: 'First status update retry interval (doubles up to 10mins)', default: '10secs' },
  { name: 'registration_backoff_factor', type: 'duration', help: 'Initial (re-)registration back-off (max 1mins)', default: '1secs' },
  { name: 'recover', type: 'string', help: 'reconnect (keep running tasks) or cleanup', default: 'reconnect' },
  { name: 'max_completed_executors_per_framework', type: 'int', help: 'Completed executors kept per framework', default: '150' },
  { name: 'max_body_size', type: 'int', help: 'Largest HTTP request body accepted, in bytes', default: String(8 * 1024 * 1024) },
  // Containers and isolation (src/agent/containerizer, docs/agent.md "Containers and isolation").
  { name: 'isolation', type: 'string', help: 'Isolators: auto (strongest the host allows) or a list of cgroups/cpu,cgroups/mem,cgroups/pids,namespaces/pid,namespaces/ipc,namespaces/uts,filesystem/linux,disk/du,posix/cpu,posix/mem', default: 'auto' },
  { name: 'cgroups_root', type: 'string', help: 'Name of the agent cgroups root under each hierarchy', default: 'agora' },
  { name: 'cgroups_hierarchy', type: 'string', help: 'Where the cgroup hierarchies are mounted (v1 controllers or a v2 unified mount)', default: '/sys/fs/cgroup' },
  { name: 'cgroups_enable_cfs', type: 'bool', help: 'Hard-cap CPU at the cpus resource with CFS quota', default: 'false' },
  { name: 'cgroups_max_pids', type: 'int', help: 'pids.max of each container (0 = no limit)', default: '4096' },
  { name: 'switch_user', type: 'bool', help: 'Run tasks as CommandInfo.user when set (a missing user fails the task)', default: 'true' },
  { name: 'enforce_container_disk_quota', type: 'bool', help: 'Fail a task whose sandbox grows past its disk resource (disk/du)', default: 'false' },
  { name: 'container_disk_watch_interval', type: 'duration', help: 'How often disk/du measures sandboxes', default: '15secs' },
];

/** Settings the agent runs with, derived from flags. */
export interface AgentConfig {
  readonly port: number;
  readonly ip: string;
  readonly hostname: string;
  readonly master: string;
  readonly workDir: string;
  readonly resources: Resources;
  readonly attributes: readonly AttributeJson[];
  readonly defaultRole: string;
  readonly shutdownGraceMs: number;
  readonly executorRegistrationMs: number;
  readonly executorReregistrationMs: number;
  readonly recoveryTimeoutMs: number;
  readonly statusRetryMs: number;
  readonly statusRetryMaxMs: number;
  readonly registrationBackoffMs: number;
  readonly registrationBackoffMaxMs: number;
  readonly recover: 'reconnect' | 'cleanup';
  readonly maxCompletedExecutors: number;
  readonly maxBodyBytes: number;
  /** Containerizer flags; absent = defaults (auto isolation). */
  readonly containers?: ContainerizerSettings;
}

const GB = 1024;

/** Parses `rack:r1;zone:2;ports:[1-10]` (spec §3.2): RANGES if `[`, SCALAR if numeric, else TEXT. */
export function parseAttributes(text: string | undefined): AttributeJson[] {
  if (text === undefined || text.trim() === '') return [];
  const out: AttributeJson[] = [];
  for (const raw of text.split(';')) {
    const part = raw.replace(/\s+/g, '');
    if (part === '') continue;
    const i = part.indexOf(':');
    if (i <= 0) throw invalid(`Bad attribute '${raw}': expected name:value`);
    const name = part.slice(0, i);
    const value = part.slice(i + 1);
    if (value.startsWith('[')) {
      if (!value.endsWith(']')) throw invalid(`Bad ranges in attribute '${raw}'`);
      const range = value
        .slice(1, -1)
        .split(',')
        .filter((s) => s !== '')
        .map((s) => {
          const [b, e] = s.split('-').map(Number);
          if (b === undefined || !Number.isInteger(b) || (e !== undefined && !Number.isInteger(e))) throw invalid(`Bad range '${s}' in attribute '${raw}'`);
          return { begin: b, end: e ?? b };
        });
      out.push({ name, type: 'RANGES', ranges: { range } });
    } else if (value.startsWith('{')) {
      throw invalid(`Bad attribute '${raw}': SET values are not allowed for attributes`);
    } else if (value !== '' && /^-?\d+(\.\d+)?$/.test(value)) {
      out.push({ name, type: 'SCALAR', scalar: { value: Number(value) } });
    } else {
      out.push({ name, type: 'TEXT', text: { value } });
    }
  }
  return out;
}

/** Machine-detected defaults for the resources `--resources` does not name (upstream's rules). */
export async function detectResources(explicit: Resources, workDir: string, defaultRole: string): Promise<Resources> {
  const names = new Set(explicit.names());
  let total = explicit;
  if (!names.has('cpus')) total = total.plus(Resources.scalar('cpus', cpus().length, defaultRole));
  if (!names.has('mem')) {
    const memMb = Math.floor(totalmem() / (1024 * 1024));
    total = total.plus(Resources.scalar('mem', memMb >= 2 * GB ? memMb - GB : Math.floor(memMb / 2), defaultRole));
  }
  if (!names.has('disk')) {
    let diskMb = 0;
    try {
      const s = await statfs(workDir);
      diskMb = Math.floor((s.blocks * s.bsize) / (1024 * 1024));
    } catch {
      diskMb = 0;
    }
    total = total.plus(Resources.scalar('disk', diskMb >= 10 * GB ? diskMb - 5 * GB : Math.floor(diskMb / 2), defaultRole));
  }
  if (!names.has('ports')) total = total.plus(parseResources('ports:[31000-32000]', defaultRole));
  return total;
}

/** Validates flags and derives the AgentConfig (resources detected against the work dir's file system). */
export async function agentConfig(flags: FlagValues): Promise<AgentConfig> {
  const master = str(flags, 'master');
  if (master === undefined || master === '') throw invalid('Flag --master is required');
  const workDir = str(flags, 'work_dir');
  if (workDir === undefined || workDir === '') throw invalid('Flag --work_dir is required');
  const ip = str(flags, 'ip') ?? '127.0.0.1';
  const defaultRole = str(flags, 'default_role') ?? '*';
  const recover = str(flags, 'recover') ?? 'reconnect';
  if (recover !== 'reconnect' && recover !== 'cleanup') throw invalid(`Flag --recover must be reconnect or cleanup, got '${recover}'`);
  const explicit = parseResources(str(flags, 'resources') ?? '', defaultRole);
  await mkdir(workDir, { recursive: true });
  return {
    port: num(flags, 'port') ?? 5051,
    ip,
    hostname: str(flags, 'hostname') ?? ip,
    master: master.replace(/^https?:\/\//, '').replace(/\/+$/, ''),
    workDir,
    resources: await detectResources(explicit, workDir, defaultRole),
    attributes: parseAttributes(str(flags, 'attributes')),
    defaultRole,
    shutdownGraceMs: num(flags, 'executor_shutdown_grace_period') ?? 5000,
    executorRegistrationMs: num(flags, 'executor_registration_timeout') ?? 60_000,
    executorReregistrationMs: Math.min(num(flags, 'executor_reregistration_timeout') ?? 2000, 15_000),
    recoveryTimeoutMs: num(flags, 'recovery_timeout') ?? 15 * 60_000,
    statusRetryMs: num(flags, 'status_update_retry_interval') ?? 10_000,
    statusRetryMaxMs: 10 * 60_000,
    registrationBackoffMs: num(flags, 'registration_backoff_factor') ?? 1000,
    registrationBackoffMaxMs: 60_000,
    recover,
    maxCompletedExecutors: num(flags, 'max_completed_executors_per_framework') ?? 150,
    maxBodyBytes: num(flags, 'max_body_size') ?? 8 * 1024 * 1024,
    containers: containerizerSettings(flags),
  };
}

/** Containerizer settings from the isolation flags (defaults as in DEFAULT_CONTAINERIZER_SETTINGS). */
export function containerizerSettings(flags: FlagValues): ContainerizerSettings {
  const d = DEFAULT_CONTAINERIZER_SETTINGS;
  const flag = (name: string, dflt: boolean): boolean => (flags[name] === undefined ? dflt : bool(flags, name));
  return {
    ...d,
    isolation: str(flags, 'isolation') ?? d.isolation,
    cgroupsRoot: str(flags, 'cgroups_root') ?? d.cgroupsRoot,
    cgroupsHierarchy: str(flags, 'cgroups_hierarchy') ?? d.cgroupsHierarchy,
    cgroupsEnableCfs: flag('cgroups_enable_cfs', d.cgroupsEnableCfs),
    cgroupsMaxPids: num(flags, 'cgroups_max_pids') ?? d.cgroupsMaxPids,
    switchUser: flag('switch_user', d.switchUser),
    enforceDiskQuota: flag('enforce_container_disk_quota', d.enforceDiskQuota),
    diskWatchIntervalMs: num(flags, 'container_disk_watch_interval') ?? d.diskWatchIntervalMs,
  };
}
