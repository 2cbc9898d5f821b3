/**
 * Namespaces isolator (`namespaces/pid`, `namespaces/ipc`, `namespaces/uts`, `filesystem/linux`): the
 * supervisor runs the task through `agora-init` (native-init.ts) or, without a C compiler, the shell
 * chain below, which does the same with `unshare --fork`, into fresh pid, mount, uts and ipc namespaces. In
 * the new pid namespace a small `/bin/sh` init is pid 1 (proc remounted, so `ps` shows only the
 * container) and the task is its child; with `filesystem/linux` the init bind-mounts `<sandbox>/tmp`
 * over `/tmp` (mounts are private to the namespace). When the init exits the kernel kills everything
 * left in the namespace, so no task process outlives its container.
 *
 * The init has no signal traps: as pid 1 it ignores the SIGTERM of a graceful kill (sent to the whole
 * process group, so the task itself receives it) and exits with the task's status once the task ends.
 * A SIGTERM that came before the task was forked would be lost (pid 1 drops it), so the init creates
 * `<runs>/<cid>.ready` right after forking the task and the Containerizer holds graceful signals until
 * that file exists.
 * `unshare --fork` ignores SIGTERM too and re-raises its child's fatal signal, so the supervisor
 * sees the same wait status as without namespaces.
 */
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerConfig, Isolator, LaunchPatch } from './isolator.js';

export interface NamespaceOptions {
  readonly unshare: string;
  readonly pid: boolean;
  readonly mountTmp: boolean;
  readonly uts: boolean;
  readonly ipc: boolean;
  /** `<runs>/<cid>` (PosixLauncher.prefix): the ready file is `<prefix>.ready`. */
  readonly prefix: (id: string) => string;
  readonly workDir: string;
  /** Path of the compiled agora-init (native-init.ts); undefined = the shell chain. */
  readonly native?: string | undefined;
}

/**
 * The init script run as pid 1: `$1` is the ready file, `$2` the agent work dir relative to /tmp ('' when
 * it is elsewhere), the rest the task's argv. A work dir under /tmp (tests, `agora up`) would vanish
 * under the private /tmp, taking the sandbox's absolute path, volume links and the ready file with it,
 * so it is first bind-mounted at the same path inside the new /tmp. `-n -c`: no utab entry, no path
 * canonicalisation (both paths are the agent's own): the mount is the dearest step of a launch.
 */
export function initScript(mountTmp: boolean): string {
  const fail = '{ echo "agora: cannot mount a private /tmp" >&2; exit 125; }';
  const tmp = mountTmp ? `if [ -n "$__agora_w" ]; then mount -n -c --bind "/tmp/$__agora_w" "$PWD/tmp/$__agora_w" || ${fail}; fi; mount -n -c --rbind "$PWD/tmp" /tmp || ${fail}; ` : '';
  return `__agora_r=$1; __agora_w=$2; shift 2; ${tmp}"$@" & : >"$__agora_r"; wait $!`;
}

/** The work dir relative to /tmp when it lies under it, else ''. */
export function workDirUnderTmp(workDir: string): string {
  return workDir.startsWith('/tmp/') ? workDir.slice('/tmp/'.length).replace(/\/+$/, '') : '';
}

/** argv prefix that puts the task into new namespaces. */
export function unshareArgv(o: NamespaceOptions): string[] {
  const argv = [o.unshare];
  if (o.pid || o.mountTmp) argv.push('--mount', '--propagation', 'private');
  if (o.pid) argv.push('--pid', '--fork', '--mount-proc');
  if (o.uts) argv.push('--uts');
  if (o.ipc) argv.push('--ipc');
  // Without a pid namespace the init is not needed for signal semantics, but keeps the argv uniform.
  argv.push('/bin/sh', '-c', initScript(o.mountTmp), 'agora-init');
  return argv;
}

export class NamespacesIsolator implements Isolator {
  readonly name = 'namespaces';
  private readonly argv: readonly string[];

  private readonly rel: string;
  private readonly flags: string;

  constructor(private readonly opts: NamespaceOptions) {
    this.argv = unshareArgv(opts);
    this.rel = opts.mountTmp ? workDirUnderTmp(opts.workDir) : '';
    this.flags = `${opts.pid ? 'p' : ''}${opts.mountTmp ? 't' : ''}${opts.uts ? 'u' : ''}${opts.ipc ? 'i' : ''}` || '-';
  }

  async prepare(cfg: ContainerConfig): Promise<LaunchPatch> {
    if (this.opts.mountTmp) {
      const tmp = join(cfg.sandbox, 'tmp');
      await mkdir(tmp, { recursive: true });
      // Like /tmp: writable by any user the task switches to, sticky.
      await chmod(tmp, 0o1777);
      if (this.rel !== '') await mkdir(join(tmp, this.rel), { recursive: true });
    }
    const ready = `${this.opts.prefix(cfg.containerId)}.ready`;
    if (this.opts.native !== undefined) return { wrapper: [this.opts.native, this.flags, ready, this.rel, '--'], ownSession: true };
    return { wrapper: [...this.argv, ready, this.rel] };
  }

  async cleanup(): Promise<void> {
    // Namespaces die with their last process; the sandbox's tmp is kept with the sandbox.
  }
}
