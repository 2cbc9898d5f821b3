/**
 * `--isolation`: which isolators run, as upstream names them. `auto` (the default) picks the strongest
 * set the host allows: cgroups (v2 or v1, whichever holds the cpu and memory controllers) and the
 * namespaces when the agent is root and can create its cgroups, otherwise the posix fallback. The
 * choice and the reason are logged and shown in `/flags`.
 */
import { findTool } from './task-user.js';

/** Isolator names accepted by `--isolation`. */
export const ISOLATOR_NAMES = [
  'cgroups/cpu',
  'cgroups/mem',
  'cgroups/pids',
  'cgroups/all',
  'namespaces/pid',
  'namespaces/ipc',
  'namespaces/uts',
  'filesystem/linux',
  'disk/du',
  'posix/cpu',
  'posix/mem',
  'posix/disk',
] as const;

/** What `--isolation` asks for, before looking at the host. */
export interface IsolationRequest {
  readonly auto: boolean;
  readonly cgroupCpu: boolean;
  readonly cgroupMem: boolean;
  readonly cgroupPids: boolean;
  readonly pidNs: boolean;
  readonly ipcNs: boolean;
  readonly utsNs: boolean;
  readonly privateTmp: boolean;
  readonly disk: boolean;
}

/** The strongest set, used by `auto` when the host allows it. */
export const STRONGEST = 'cgroups/cpu,cgroups/mem,cgroups/pids,namespaces/pid,namespaces/ipc,namespaces/uts,filesystem/linux';

/** Parses `--isolation` (comma list or `auto`); throws on unknown names. */
export function parseIsolation(text: string, enforceDisk: boolean): IsolationRequest {
  const auto = text.trim() === '' || text.trim() === 'auto';
  const names = new Set(
    (auto ? STRONGEST : text)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );
  for (const n of names) if (!(ISOLATOR_NAMES as readonly string[]).includes(n)) throw new Error(`Unknown isolator '${n}' in --isolation (known: auto, ${ISOLATOR_NAMES.join(', ')})`);
  const all = names.has('cgroups/all');
  return {
    auto,
    cgroupCpu: all || names.has('cgroups/cpu'),
    cgroupMem: all || names.has('cgroups/mem'),
    cgroupPids: all || names.has('cgroups/pids'),
    pidNs: names.has('namespaces/pid'),
    ipcNs: names.has('namespaces/ipc'),
    utsNs: names.has('namespaces/uts'),
    privateTmp: names.has('filesystem/linux'),
    // Measuring disk forks `du` per container per interval: on only when asked for or enforced.
    disk: names.has('disk/du') || names.has('posix/disk') || enforceDisk,
  };
}

/** True when the request needs cgroups. */
export function wantsCgroups(r: IsolationRequest): boolean {
  return r.cgroupCpu || r.cgroupMem || r.cgroupPids;
}

/** True when the request needs unshare. */
export function wantsNamespaces(r: IsolationRequest): boolean {
  return r.pidNs || r.ipcNs || r.utsNs || r.privateTmp;
}

/** Why namespaces cannot be used here, or undefined when they can. */
export function namespacesUnavailable(isRoot: boolean): string | undefined {
  if (!isRoot) return 'the agent is not root';
  if (findTool('unshare') === undefined) return 'unshare (util-linux) not found';
  if (findTool('mount') === undefined) return 'mount not found';
  return undefined;
}
