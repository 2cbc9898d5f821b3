/**
 * The posix launcher: runs each command task as a real process tree that outlives the agent.
 *
 * Per task one tiny `/bin/sh` supervisor: a fork of the agent's spawner (spawner.ts, own session)
 * running the `agora_supervise` shell function. The supervisor starts the task through `setsid` (so the task leads its own session and
 * process group, pgid = pid), with stdout/stderr going straight to the sandbox files, writes
 * the task pid to `<runs>/<cid>.pid`, waits for the task, kills whatever is left in the
 * task's process group, writes the wait status to `<runs>/<cid>.status` as one newline-terminated
 * write (readers accept only a complete line, so a torn write is seen as "not yet"), then tells the
 * agent `x <cid>` on the spawner's pipe. No Node process per task: the supervision cost is one forked
 * dash process (≈ 0.1 MB PSS, 1.1 MB RSS of mostly shared pages).
 *
 * A supervisor started by an earlier agent process is adopted by `recover` and polled (one shared
 * timer): its status file, then its liveness. The same timer checks the liveness of our own
 * supervisors as a backstop in case a notification is lost.
 */
import { readFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Clock, Timer } from '../../core/clock.js';
import type { CommandInfoJson } from '../../api/mesos/common.js';
import { Spawner } from './spawner.js';

/** How a task's process ended. */
export type ExitStatus =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'signaled'; readonly signal: string }
  | { readonly kind: 'unknown'; readonly message: string };

/** Isolation added by the Containerizer to the supervisor command line. */
export interface LaunchIsolation {
  /** cgroup.procs files the task joins before exec. */
  readonly cgroupProcs?: readonly string[];
  /** argv placed between `setsid` and the task (namespaces, rlimits, user switch). */
  readonly prefix?: readonly string[];
  /** False when the prefix starts its own session (agora-init); default true. */
  readonly setsid?: boolean;
}

export interface LaunchSpec {
  readonly containerId: string;
  readonly sandbox: string;
  readonly command: CommandInfoJson;
  readonly env: Readonly<Record<string, string>>;
}

/**
 * The supervisor, as a shell function defined once in the spawner: each task's supervisor is a fork of
 * the spawner running it (no exec, no fresh dynamic loading). It records only the task's pid: its own
 * pid (`$$` would be the spawner's) is journaled by the agent from the spawner's `s` line, and can be
 * recovered as the task's parent pid.
 */
const SUPERVISOR_FUNCTION = [
  // Variables carry a prefix: the task's own (exported) variables must not be overwritten.
  'agora_supervise() {',
  '  __agora_m=$1; __agora_id=$2; __agora_cg=$3; shift 3',
  // The task's process joins its cgroups itself before exec (its pid read from /proc/self by a builtin:
  // no fork), so everything it ever forks is inside them. `$__agora_cg` is a space-separated list of
  // cgroup.procs files (agent-made paths without spaces), empty without cgroups.
  '  ( if [ -n "$__agora_cg" ]; then read __agora_p __agora_r </proc/self/stat; for __agora_f in $__agora_cg; do echo "$__agora_p" >"$__agora_f" || { echo "agora: cannot join cgroup $__agora_f" >&2; exit 125; }; done; fi; exec "$@" ) </dev/null >stdout 2>stderr &',
  '  __agora_p=$!',
  '  echo "$__agora_p" >"$__agora_m.pid"',
  '  wait "$__agora_p"; __agora_c=$?',
  // Tear down what the task left behind in its process group (orphaned children).
  '  kill -KILL -"$__agora_p" 2>/dev/null',
  '  echo "$__agora_c" >"$__agora_m.status"',
  // Tell the agent (if it is still the one that started us; otherwise it polls the status file).
  '  echo "x $__agora_id" 2>/dev/null',
  '}',
].join('\n');

/** Words that only the shell understands (keywords, builtins, assignments): such commands keep `sh -c`. */
const SHELL_WORDS = new Set(
  '. : [ [[ ! { } alias bg break cd command continue echo eval exec exit export false fc fg getopts hash jobs kill local printf pwd read readonly return set shift test times trap true type ulimit umask unalias unset wait if then else elif fi case esac for while until do done in function select source'.split(
    ' ',
  ),
);

/**
 * argv for a task. Shell form is `/bin/sh -c value`, except that a plain command line (words of
 * `[A-Za-z0-9_./:@%+,-]` only: no quoting, expansion, redirection or assignment, and not a shell
 * builtin) is exec'd directly: the shell would parse it into exactly these words, and skipping it saves a
 * process (about 1 MB) and a fork per task. Argv form: `value` with `arguments[1..]` (argv[0] is then the
 * executable path, since the supervisor cannot set argv[0] separately).
 */
export function taskArgv(cmd: CommandInfoJson): string[] {
  if (cmd.shell === false) return [cmd.value ?? '', ...(cmd.arguments ?? []).slice(1)];
  const value = cmd.value ?? '';
  const words = value.trim().split(/[ \t]+/);
  const first = words[0] ?? '';
  if (/^[A-Za-z0-9_./:@%+, \t-]+$/.test(value) && first !== '' && !first.startsWith('-') && !SHELL_WORDS.has(first)) return words;
  return ['/bin/sh', '-c', value];
}

/** Finds `setsid`; the supervisor needs it to put the task into its own session and process group. */
export function findSetsid(): string {
  for (const p of ['/usr/bin/setsid', '/bin/setsid', '/usr/sbin/setsid', '/sbin/setsid']) if (existsSync(p)) return p;
  throw new Error('setsid (util-linux) not found: the agent needs it to launch tasks');
}

/** Maps a `wait` status as sh reports it (128+N for a signal) to an ExitStatus. */
export function decodeWaitStatus(code: number): ExitStatus {
  if (code > 128 && code <= 128 + 64) {
    const n = code - 128;
    const name = Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0];
    if (name !== undefined) return { kind: 'signaled', signal: name };
  }
  return { kind: 'exited', code };
}

/** Parses `<runs>/<cid>.status`; undefined while it is absent or incomplete. */
export async function readExitStatus(prefix: string): Promise<ExitStatus | undefined> {
  let text: string;
  try {
    text = await readFile(`${prefix}.status`, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^(\d+)\n$/.exec(text);
  return m ? decodeWaitStatus(Number(m[1])) : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: unknown) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Watched {
  /** -1 until the spawner reports the fork. */
  supervisorPid: number;
  /** Started by an earlier agent: its exit can only be learnt from the status file. */
  readonly recovered: boolean;
  reported: boolean;
}

/**
 * Owns the supervisors. `onExit` is called exactly once per container (launched or recovered) when its
 * task has ended. Not an actor of its own: the agent calls it and receives the callbacks.
 */
export class PosixLauncher {
  private readonly setsid = findSetsid();
  private readonly spawner = new Spawner(SUPERVISOR_FUNCTION, (cid) => void this.reap(cid, true));
  private readonly watched = new Map<string, Watched>();
  private poller: Timer | undefined;
  private polling = false;

  constructor(
    /** Directory for `<cid>.pid` / `<cid>.status` (under the agent's meta dir, not in the sandbox). */
    readonly runsDir: string,
    private readonly clock: Clock,
    private readonly onExit: (containerId: string, status: ExitStatus) => void,
    private readonly pollIntervalMs = 1000,
  ) {}

  async init(): Promise<void> {
    await mkdir(this.runsDir, { recursive: true });
  }

  prefix(containerId: string): string {
    return `${this.runsDir}/${containerId}`;
  }

  /** Starts the supervisor; resolves with its pid once forked. The sandbox must exist. */
  async launch(spec: LaunchSpec, iso: LaunchIsolation = {}): Promise<number> {
    const cgroups = (iso.cgroupProcs ?? []).join(' ');
    const session = iso.setsid === false ? [] : [this.setsid];
    const args = [this.prefix(spec.containerId), spec.containerId, cgroups, ...session, ...(iso.prefix ?? []), ...taskArgv(spec.command)];
    // Watched before the fork: a very short task may report its end before the spawner reports the fork.
    const w: Watched = { supervisorPid: -1, recovered: false, reported: false };
    this.watched.set(spec.containerId, w);
    try {
      w.supervisorPid = await this.spawner.spawn({ containerId: spec.containerId, cwd: spec.sandbox, env: spec.env, args });
    } catch (e: unknown) {
      if (this.watched.get(spec.containerId) === w) this.watched.delete(spec.containerId);
      throw e;
    }
    // Backstop for a lost notification (supervisor killed): one shared liveness poll.
    this.poller ??= this.clock.every(this.pollIntervalMs, () => void this.poll());
    return w.supervisorPid;
  }

  /** Supervises a container started by an earlier agent process (the supervisor is not our child). */
  recover(containerId: string, supervisorPid: number): void {
    this.watched.set(containerId, { supervisorPid, recovered: true, reported: false });
    this.poller ??= this.clock.every(this.pollIntervalMs, () => void this.poll());
  }

  /** The task's pid (= its process group id), from the supervisor's pid file. */
  async taskPid(containerId: string): Promise<number | undefined> {
    const text = await readFile(`${this.prefix(containerId)}.pid`, 'utf8').catch(() => '');
    const m = /^(\d+)\n$/.exec(text);
    return m ? Number(m[1]) : undefined;
  }

  /** The supervisor's pid when the journal lost it: the parent of the still-running task. */
  async supervisorPid(containerId: string): Promise<number | undefined> {
    const pid = await this.taskPid(containerId);
    if (pid === undefined) return undefined;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid > 1 ? ppid : undefined;
  }

  /** Signals the task's whole process group. False when the group is already gone or unknown. */
  async signal(containerId: string, signal: NodeJS.Signals): Promise<boolean> {
    const pid = await this.taskPid(containerId);
    if (pid === undefined || pid <= 1) return false;
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Ids of the containers being supervised (launched or recovered, not yet reported). */
  ids(): string[] {
    return [...this.watched.keys()];
  }

  /** Containers being supervised. */
  get size(): number {
    return this.watched.size;
  }

  stop(): void {
    this.stopPoller();
    this.spawner.stop();
  }

  private stopPoller(): void {
    this.poller?.cancel();
    this.poller = undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    this.spawner.reap();
    try {
      const adopted: string[] = [];
      for (const [cid, w] of [...this.watched]) {
        if (w.reported || w.supervisorPid <= 0) continue;
        if (!w.recovered) {
          // Our spawner reaps its children promptly, so liveness is exact here and costs one syscall.
          if (!isAlive(w.supervisorPid)) await this.reap(cid, false);
          continue;
        }
        adopted.push(cid);
      }
      // An adopted supervisor may linger as a zombie (its new parent may not reap): trust the file first.
      // The files are read concurrently, so a thousand adopted containers cost one poll, not a thousand.
      await Promise.all(
        adopted.map(async (cid) => {
          const w = this.watched.get(cid);
          if (w === undefined) return;
          const st = await readExitStatus(this.prefix(cid));
          if (st !== undefined || !isAlive(w.supervisorPid)) await this.reap(cid, false);
        }),
      );
    } finally {
      this.polling = false;
    }
  }

  private async reap(containerId: string, fromExitEvent: boolean): Promise<void> {
    const w = this.watched.get(containerId);
    if (w === undefined || w.reported) return;
    let st = await readExitStatus(this.prefix(containerId));
    if (st === undefined && !fromExitEvent) st = await readExitStatus(this.prefix(containerId));
    if (w.reported) return;
    w.reported = true;
    this.watched.delete(containerId);
    if (this.watched.size === 0) this.stopPoller();
    if (st === undefined) {
      // The supervisor died without recording a status: make sure the task tree is gone too.
      await this.signal(containerId, 'SIGKILL');
      st = { kind: 'unknown', message: 'Abnormal executor termination: the task supervisor exited without a status' };
    }
    this.onExit(containerId, st);
  }
}
