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
  private readonly pending = new Map<string, Pending>();
  private readonly readers = new Set<ReturnType<typeof createInterface>>();

  constructor(
    private readonly supervisorScript: string,
    private readonly onExited: (containerId: string) => void,
  ) {}

  /** Forks a supervisor; resolves with its pid. */
  spawn(req: SpawnRequest): Promise<number> {
    const child = this.ensure();
    const names = Object.keys(req.env);
    const quotedEnv = names.map((k) => shQuote(`${k}=${req.env[k] ?? ''}`)).join(' ');
    const id = shQuote(req.containerId);
    const fail = `{ echo "x "${id}; exit 1; }`;
    const sup = `/bin/sh -c "$S" agora-supervisor ${req.args.map(shQuote).join(' ')}`;
    // `export` takes shell identifiers only; anything else goes through env(1).
    const body = names.every((k) => VALID_NAME.test(k))
      ? `${names.length > 0 ? `export ${quotedEnv} || ${fail}; ` : ''}exec ${sup}`
      : `exec /usr/bin/env -i ${quotedEnv} ${sup}`;
    const line = `(cd ${shQuote(req.cwd)} || ${fail}; ${body}) </dev/null & echo "s "${id}" $!"\n`;
    return new Promise<number>((resolve, reject) => {
      this.pending.set(req.containerId, { resolve, reject });
      child.stdin?.write(line);
    });
  }

  /** Ends the spawner (EOF) and stops reading supervisor notifications. Running tasks are unaffected. */
  stop(): void {
    this.child?.stdin?.end();
    this.child = undefined;
    for (const r of this.readers) r.close();
    this.readers.clear();
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
    // The supervisor script travels once, as a variable of the spawner.
    stdin.write(`NL='\n'\nS=${shQuote(this.supervisorScript)}\n`);
    const reader = createInterface({ input: stdout });
    this.readers.add(reader);
    reader.on('line', (line) => this.onLine(line));
    // Supervisors keep the pipe open after the spawner is gone; the reader ends with the last of them.
    reader.on('close', () => this.readers.delete(reader));
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
    }
  }

  private lost(child: ChildProcess): void {
    if (this.child !== child) return;
    this.child = undefined;
    for (const [cid, p] of this.pending) p.reject(new Error(`the task spawner exited before container ${cid} was spawned`));
    this.pending.clear();
  }
}
