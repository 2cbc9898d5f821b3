/**
 * The spawner: one long-lived `/bin/sh -s` per agent that forks the task supervisors, so that the
 * agent's event loop never blocks in fork/exec (Node's spawn waits for the child's exec; under load
 * that is milliseconds per task, serialised on the main thread). The agent writes one shell command
 * line per launch to the spawner's stdin; the spawner answers `s <cid> <pid>` on stdout once the
 * supervisor is forked, and each supervisor writes `x <cid>` to the same pipe when its task has ended
 * (after its status file is on disk). Lines are far below PIPE_BUF, so they never interleave.
 *
 * The spawner runs in its own session with an empty environment: supervisors and tasks get exactly the
 * task's environment and are not hit by signals sent to the agent's process group. When the agent exits
 * the spawner sees EOF and exits; supervisors and tasks live on (the next agent polls for them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Single-quotes a word for sh; newlines become `"$NL"` so that each command stays on one line. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`).replace(/\n/g, `'"$NL"'`)}'`;
}

const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface SpawnRequest {
  readonly containerId: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Supervisor arguments after the script name. */
  readonly args: readonly string[];
}

interface Pending {
  readonly resolve: (pid: number) => void;
  readonly reject: (e: Error) => void;
}

/** Owned by the PosixLauncher. `onExited(cid)` fires when a supervisor reports its task's end. */
export class Spawner {
  private child: ChildProcess | undefined;
  private reapQueued = false;
  private readonly pending = new Map<string, Pending>();
  private readonly outputs = new Set<NodeJS.ReadableStream & { destroy(): void }>();

  constructor(
    /** Shell source defining `agora_supervise PREFIX CID SETSID ARGV...`. */
    private readonly supervisorFunction: string,
    private readonly onExited: (containerId: string) => void,
  ) {}

  /** Forks a supervisor; resolves with its pid. */
  spawn(req: SpawnRequest): Promise<number> {
    const child = this.ensure();
    // The supervisor is a shell, and a shell drops variables whose names are not identifiers.
    const names = Object.keys(req.env).filter((k) => VALID_NAME.test(k));
    const quotedEnv = names.map((k) => shQuote(`${k}=${req.env[k] ?? ''}`)).join(' ');
    const id = shQuote(req.containerId);
    const fail = `{ echo "x "${id}; exit 1; }`;
    const sup = `agora_supervise ${req.args.map(shQuote).join(' ')}`;
    const body = `${names.length > 0 ? `export ${quotedEnv} || ${fail}; ` : ''}${sup}`;
    // `cd` makes dash export PWD (correct: the sandbox) and OLDPWD (noise, dropped unless the task sets it).
    const line = `(cd ${shQuote(req.cwd)} || ${fail}; unset OLDPWD; ${body}) </dev/null & echo "s "${id}" $!"\n`;
    return new Promise<number>((resolve, reject) => {
      this.pending.set(req.containerId, { resolve, reject });
      child.stdin?.write(line);
    });
  }

  /**
   * Asks the spawner to reap its exited children. An idle shell only reaps when it runs its next
   * command, so without this a finished supervisor stays a zombie (and looks alive to `kill(pid, 0)`).
   */
  reap(): void {
    if (this.reapQueued || this.child === undefined) return;
    this.reapQueued = true;
    setImmediate(() => {
      this.reapQueued = false;
      this.child?.stdin?.write('jobs >/dev/null\n');
    });
  }

  /** Ends the spawner (EOF) and stops reading supervisor notifications. Running tasks are unaffected. */
  stop(): void {
    this.child?.stdin?.end();
    this.child = undefined;
    // Closing our read end makes late supervisors' `x` lines fail harmlessly (their status file is written).
    for (const out of this.outputs) out.destroy();
    this.outputs.clear();
    for (const [cid, p] of this.pending) p.reject(new Error(`launcher stopped before container ${cid} was spawned`));
    this.pending.clear();
  }

  private ensure(): ChildProcess {
    if (this.child !== undefined) return this.child;
    const child = spawn('/bin/sh', ['-s', 'agora-spawner'], { detached: true, stdio: ['pipe', 'pipe', 'ignore'], env: {} });
    child.unref();
    const stdin = child.stdin;
    const stdout = child.stdout;
    if (stdin === null || stdout === null) throw new Error('spawner without pipes');
    stdin.on('error', () => this.lost(child));
    // The supervisor travels once, as a function of the spawner.
    stdin.write(`NL='\n'\n${this.supervisorFunction}\n`);
    const reader = createInterface({ input: stdout });
    this.outputs.add(stdout);
    reader.on('line', (line) => this.onLine(line));
    // Supervisors keep the pipe open after the spawner is gone; the reader ends with the last of them.
    reader.on('close', () => this.outputs.delete(stdout));
    child.once('exit', () => this.lost(child));
    child.once('error', () => this.lost(child));
    // The pipe must not keep the agent process alive.
    (stdout as unknown as { unref?: () => void }).unref?.();
    (stdin as unknown as { unref?: () => void }).unref?.();
    this.child = child;
    return child;
  }

  private onLine(line: string): void {
    const m = /^([sx]) (\S+)(?: (\d+))?$/.exec(line);
    if (!m) return;
    const cid = m[2] ?? '';
    if (m[1] === 's') {
      const p = this.pending.get(cid);
      this.pending.delete(cid);
      p?.resolve(Number(m[3]));
    } else {
      this.onExited(cid);
      this.reap();
    }
  }

  private lost(child: ChildProcess): void {
    if (this.child !== child) return;
    this.child = undefined;
    for (const [cid, p] of this.pending) p.reject(new Error(`the task spawner exited before container ${cid} was spawned`));
    this.pending.clear();
  }
}
