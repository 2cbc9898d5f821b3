/**
 * Linux /proc inspection for tests and benches: find processes by a marker in their command line or
 * environment, check liveness (zombies count as dead), walk descendants, and read VmRSS / PSS.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Every numeric pid currently in /proc. */
export function listPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) if (/^\d+$/.test(name)) out.push(Number(name));
  return out;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

/** argv of a process joined by spaces ('' if gone or unreadable). */
export function cmdline(pid: number): string {
  return readOr(`/proc/${pid}/cmdline`, '').split('\0').join(' ').trim();
}

/** Environment strings of a process ([] if gone or unreadable). */
export function environ(pid: number): string[] {
  return readOr(`/proc/${pid}/environ`, '').split('\0').filter((s) => s !== '');
}

/** Working directory of a process, or undefined. */
export function cwd(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

export interface ProcStat {
  readonly pid: number;
  readonly state: string;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
}

/** Parsed /proc/<pid>/stat head, or undefined when the process is gone. */
export function stat(pid: number): ProcStat | undefined {
  const text = readOr(`/proc/${pid}/stat`, '');
  const close = text.lastIndexOf(')');
  if (close === -1) return undefined;
  const f = text.slice(close + 2).split(' ');
  return { pid, state: f[0] ?? '?', ppid: Number(f[1]), pgid: Number(f[2]), sid: Number(f[3]) };
}

/** True when the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

/** Live pids whose command line or environment contains `marker`. */
export function pidsWithMarker(marker: string): number[] {
  return listPids().filter((pid) => pid !== process.pid && isAlive(pid) && (cmdline(pid).includes(marker) || environ(pid).some((e) => e.includes(marker))));
}

/** Live pids whose cwd, command line or environment mention `path` (stray task processes of a temp dir). */
export function pidsUsingPath(path: string): number[] {
  return listPids().filter((pid) => {
    if (pid === process.pid || !isAlive(pid)) return false;
    if ((cwd(pid) ?? '').startsWith(path)) return true;
    if (cmdline(pid).includes(path)) return true;
    return environ(pid).some((e) => e.includes(path));
  });
}

/** All live descendants of `root` (children, grandchildren...), by ppid. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of listPids()) {
    const s = stat(pid);
    if (s === undefined) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(pid);
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    for (const c of children.get(p) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function kbField(text: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m === null ? 0 : Number(m[1]);
}

/** VmRSS of a process in KiB (0 if gone). */
export function rssKb(pid: number): number {
  return kbField(readOr(`/proc/${pid}/status`, ''), 'VmRSS');
}

/** Proportional set size in KiB from smaps_rollup (0 if gone or unreadable). */
export function pssKb(pid: number): number {
  return kbField(readOr(`/proc/${pid}/smaps_rollup`, ''), 'Pss');
}

/** SIGKILL each pid, ignoring those already gone. */
export function killPids(pids: readonly number[], signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
