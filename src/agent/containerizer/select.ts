/**
 * Chooses the isolators at agent start from `--isolation` and what the host allows. An explicit list
 * that the host cannot honour fails the start (loudly); `auto` degrades to what works, down to the
 * posix fallback, and says why.
 */
import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { Isolator } from './isolators/isolator.js';
import { agentCgroupBase, detectCgroups } from './isolators/cgroups-host.js';
import { CgroupsV1Isolator } from './isolators/cgroups-v1.js';
import { CgroupsV2Isolator } from './isolators/cgroups-v2.js';
import { NamespacesIsolator } from './isolators/namespaces.js';
import { namespacesUnavailable, parseIsolation, wantsCgroups, wantsNamespaces } from './isolation.js';
import { findTool } from './task-user.js';
import { nativeInit } from './isolators/native-init.js';

/** Containerizer flags (see AGENT_FLAGS). */
export interface ContainerizerSettings {
  readonly isolation: string;
  readonly cgroupsRoot: string;
  readonly cgroupsHierarchy: string;
  readonly cgroupsEnableCfs: boolean;
  readonly cgroupsMaxPids: number;
  readonly switchUser: boolean;
  readonly enforceDiskQuota: boolean;
  readonly diskWatchIntervalMs: number;
  /** OOM poll interval (the exit-time check makes OOM reports exact anyway). */
  readonly oomWatchIntervalMs: number;
}

export const DEFAULT_CONTAINERIZER_SETTINGS: ContainerizerSettings = {
  isolation: 'auto',
  cgroupsRoot: 'agora',
  cgroupsHierarchy: '/sys/fs/cgroup',
  cgroupsEnableCfs: false,
  cgroupsMaxPids: 4096,
  switchUser: true,
  enforceDiskQuota: false,
  diskWatchIntervalMs: 15_000,
  oomWatchIntervalMs: 2_000,
};

export interface Selection {
  readonly isolators: Isolator[];
  readonly posix: boolean;
  readonly disk: boolean;
  readonly names: string[];
  /** Task start is confirmed by a ready file (see NamespacesIsolator). */
  readonly namespaces: boolean;
  readonly cgroupsVersion: 'v1' | 'v2' | 'none';
  readonly reason: string;
  /** How namespaced tasks start: 'agora-init', 'shell (why)' or 'none'. */
  readonly init: string;
}

export async function selectIsolators(s: ContainerizerSettings, env: { workDir: string; clock: Clock; isRoot: boolean; prefix: (id: string) => string; nativeCacheDir?: string }): Promise<Selection> {
  const req = parseIsolation(s.isolation, s.enforceDiskQuota);
  const isolators: Isolator[] = [];
  const names: string[] = [];
  const reasons: string[] = [];
  let version: Selection['cgroupsVersion'] = 'none';
  let init = 'none';
  const refuse = (why: string): void => {
    if (!req.auto) throw new Error(`--isolation=${s.isolation} cannot be honoured: ${why}`);
    reasons.push(why);
  };
  if (wantsCgroups(req)) {
    const host = await detectCgroups(s.cgroupsHierarchy);
    if (host.version === 0) refuse(host.why);
    else {
      const opts = {
        base: agentCgroupBase(s.cgroupsRoot, env.workDir),
        cpu: req.cgroupCpu,
        mem: req.cgroupMem,
        pids: req.cgroupPids,
        enableCfs: s.cgroupsEnableCfs,
        maxPids: s.cgroupsMaxPids,
        watchIntervalMs: s.oomWatchIntervalMs,
      };
      const iso = host.version === 1 ? new CgroupsV1Isolator(host.mounts, opts, env.clock) : new CgroupsV2Isolator(host.mount, host.controllers, opts, env.clock);
      try {
        await iso.init();
        isolators.push(iso);
        version = host.version === 1 ? 'v1' : 'v2';
        if (req.cgroupCpu) names.push('cgroups/cpu');
        if (req.cgroupMem) names.push('cgroups/mem');
        if (req.cgroupPids) names.push('cgroups/pids');
      } catch (e: unknown) {
        refuse(`cgroups under ${s.cgroupsHierarchy} are not writable (${errorMessage(e)})`);
      }
    }
  }
  if (wantsNamespaces(req)) {
    const why = namespacesUnavailable(env.isRoot);
    if (why !== undefined) refuse(`namespaces unavailable: ${why}`);
    else {
      const native = await nativeInit(env.nativeCacheDir);
      init = native.path !== undefined ? 'agora-init' : `shell (${native.why ?? '?'})`;
      isolators.push(new NamespacesIsolator({ unshare: findTool('unshare') ?? 'unshare', pid: req.pidNs, mountTmp: req.privateTmp, uts: req.utsNs, ipc: req.ipcNs, prefix: env.prefix, workDir: env.workDir, native: native.path }));
      if (req.pidNs) names.push('namespaces/pid');
      if (req.ipcNs) names.push('namespaces/ipc');
      if (req.utsNs) names.push('namespaces/uts');
      if (req.privateTmp) names.push('filesystem/linux');
    }
  }
  const posix = version === 'none';
  if (posix) names.unshift('posix/cpu', 'posix/mem');
  if (req.disk) names.push('disk/du');
  return { isolators, posix, disk: req.disk, names, namespaces: isolators.some((i) => i instanceof NamespacesIsolator), cgroupsVersion: version, reason: reasons.join('; '), init };
}
