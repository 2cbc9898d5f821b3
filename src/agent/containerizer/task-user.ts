/**
 * Task user and rlimits as command-line prefixes for the supervisor: `setpriv` (util-linux) switches to
 * the user (uid, gid, supplementary groups) right before exec, `prlimit` sets RLimitInfo limits. Both
 * are looked up once per agent; a user is resolved from /etc/passwd so a missing user fails the launch
 * with a clear message instead of a cryptic exec error.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** The passwd entry of `name` (or a numeric uid), undefined when there is none. */
export async function lookupUser(name: string, passwdPath = '/etc/passwd'): Promise<PasswdEntry | undefined> {
  const text = await readFile(passwdPath, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7) continue;
    if (f[0] === name || (/^\d+$/.test(name) && f[2] === name)) return { name: f[0] ?? name, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/' };
  }
  return undefined;
}

export function findTool(name: string): string | undefined {
  for (const d of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) if (existsSync(`${d}/${name}`)) return `${d}/${name}`;
  return undefined;
}

/** argv prefix running the rest as `user` (with its groups). */
export function setprivArgv(setpriv: string, u: PasswdEntry): string[] {
  return [setpriv, `--reuid=${u.uid}`, `--regid=${u.gid}`, '--init-groups'];
}

/** RLimitInfo type → prlimit option. */
const RLIMIT_OPTIONS: Readonly<Record<string, string>> = {
  RLMT_AS: 'as',
  RLMT_CORE: 'core',
  RLMT_CPU: 'cpu',
  RLMT_DATA: 'data',
  RLMT_FSIZE: 'fsize',
  RLMT_LOCKS: 'locks',
  RLMT_MEMLOCK: 'memlock',
  RLMT_MSGQUEUE: 'msgqueue',
  RLMT_NICE: 'nice',
  RLMT_NOFILE: 'nofile',
  RLMT_NPROC: 'nproc',
  RLMT_RSS: 'rss',
  RLMT_RTPRIO: 'rtprio',
  RLMT_RTTIME: 'rttime',
  RLMT_SIGPENDING: 'sigpending',
  RLMT_STACK: 'stack',
};
const RLIMIT_BY_NUMBER = Object.keys(RLIMIT_OPTIONS);

interface RLimitJson {
  type?: unknown;
  soft?: unknown;
  hard?: unknown;
}

/**
 * prlimit options from `ContainerInfo.rlimit_info.rlimits` (spec §3.5). Soft and hard are both set or
 * both unset (unset = unlimited), as upstream requires; anything else is a launch error.
 */
export function rlimitOptions(container: unknown): string[] {
  const info = (container as { rlimit_info?: { rlimits?: unknown } } | undefined)?.rlimit_info;
  const list = info?.rlimits;
  if (list === undefined || list === null) return [];
  const out: string[] = [];
  for (const r of (Array.isArray(list) ? list : [list]) as RLimitJson[]) {
    const type = typeof r.type === 'number' ? RLIMIT_BY_NUMBER[r.type - 1] : String(r.type);
    const opt = type === undefined ? undefined : RLIMIT_OPTIONS[type];
    if (opt === undefined) throw new Error(`Unknown rlimit type '${String(r.type)}'`);
    const has = (v: unknown): boolean => v !== undefined && v !== null;
    if (has(r.soft) !== has(r.hard)) throw new Error(`rlimit ${type}: soft and hard limits must both be set or both be unset`);
    if (!has(r.soft)) {
      out.push(`--${opt}=unlimited:unlimited`);
      continue;
    }
    const soft = Number(r.soft);
    const hard = Number(r.hard);
    if (!Number.isInteger(soft) || !Number.isInteger(hard) || soft < 0 || soft > hard) throw new Error(`rlimit ${type}: need integers with soft <= hard`);
    out.push(`--${opt}=${soft}:${hard}`);
  }
  return out;
}
