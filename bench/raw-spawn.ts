/** The baseline both launch benchmarks compare against: plain `child_process.spawn` of `sleep 600`. */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** Spawns `n` `sleep 600` processes at once; ms from the first spawn() call to the last 'spawn' event. */
export async function rawSpawnMs(n: number): Promise<{ ms: number; children: ChildProcess[] }> {
  const children: ChildProcess[] = [];
  const t0 = performance.now();
  const spawned: Array<Promise<void>> = [];
  for (let i = 0; i < n; i++) {
    const c = spawn('sleep', ['600'], { stdio: 'ignore' });
    children.push(c);
    spawned.push(new Promise<void>((res, rej) => {
      c.once('spawn', () => res());
      c.once('error', rej);
    }));
  }
  await Promise.all(spawned);
  return { ms: performance.now() - t0, children };
}

/** SIGKILLs the processes of rawSpawnMs and waits for every exit. */
export async function killRaw(children: readonly ChildProcess[]): Promise<void> {
  const exits = children.map((c) => new Promise<void>((res) => (c.exitCode !== null || c.signalCode !== null ? res() : c.once('exit', () => res()))));
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(exits);
}
