/**
 * Finds the host's cgroup layout at agent start: v2 (unified: one hierarchy, `cgroup.controllers` at its
 * root) or v1 (one mount per controller under `--cgroups_hierarchy`). Detection only looks at files, so a
 * temp dir laid out like /sys/fs/cgroup works in unit tests. Containers live at
 * `<hierarchy>[/<controller>]/<cgroups_root>/<agent key>/<container id>`; the agent key (a hash of the
 * work dir) keeps two agents on one host (tests, `agora up`) from treating each other's containers as
 * orphans.
 */
import { createHash } from 'node:crypto';
import { access, mkdir, readdir, readFile, realpath, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../../core/clock.js';
import { sleep } from '../../../core/clock.js';

/** v1 controllers the isolator uses (freezer for whole-container kill). */
export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids', 'freezer'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

export type CgroupHost =
  | { readonly version: 1; readonly mounts: Readonly<Partial<Record<V1Controller, string>>> }
  | { readonly version: 2; readonly mount: string; readonly controllers: ReadonlySet<string> }
  | { readonly version: 0; readonly why: string };

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

async function v2Controllers(dir: string): Promise<Set<string> | undefined> {
  try {
    return new Set((await readFile(join(dir, 'cgroup.controllers'), 'utf8')).trim().split(/\s+/).filter((s) => s !== ''));
  } catch {
    return undefined;
  }
}

/**
 * The cgroup layout under `hierarchy`. A v2 hierarchy counts only when it holds the cpu and memory
 * controllers (a hybrid host's `unified` mount usually holds none); otherwise v1 needs cpu and memory.
 */
export async function detectCgroups(hierarchy: string): Promise<CgroupHost> {
  for (const dir of [hierarchy, join(hierarchy, 'unified')]) {
    const c = await v2Controllers(dir);
    if (c !== undefined && c.has('cpu') && c.has('memory')) return { version: 2, mount: dir, controllers: c };
  }
  if ((await exists(join(hierarchy, 'memory', 'memory.limit_in_bytes'))) && (await exists(join(hierarchy, 'cpu', 'cpu.shares')))) {
    const mounts: Partial<Record<V1Controller, string>> = {};
    for (const c of V1_CONTROLLERS) {
      const d = join(hierarchy, c);
      if (await exists(join(d, 'cgroup.procs'))) mounts[c] = await realpath(d);
    }
    return { version: 1, mounts };
  }
  return { version: 0, why: `no cgroup v1 (cpu, memory) or v2 hierarchy with cpu and memory under ${hierarchy}` };
}

/** `<cgroups_root>/<hash of the work dir>`: this agent's subtree in every hierarchy. */
export function agentCgroupBase(cgroupsRoot: string, workDir: string): string {
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(cgroupsRoot) || cgroupsRoot.split('/').some((w) => w === '.' || w === '..')) throw new Error(`--cgroups_root must be a relative path of [A-Za-z0-9_.-] words, got '${cgroupsRoot}'`);
  return `${cgroupsRoot}/${createHash('sha256').update(workDir).digest('hex').slice(0, 12)}`;
}

/** Reads a cgroup file, '' when it is missing (controller absent or cgroup gone). */
export async function readCg(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

/** `key value` lines (cpu.stat, memory.stat, memory.events, cpuacct.stat, memory.oom_control) → numbers. */
export function parseKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k !== undefined && k !== '' && v !== undefined && /^\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

/** Pids listed in a `cgroup.procs` file. */
export async function cgroupPids(dir: string): Promise<number[]> {
  return (await readCg(join(dir, 'cgroup.procs')))
    .split('\n')
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}

/** SIGKILLs every pid; ignores those already gone. */
export function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Writes a control file; errors carry the path. */
export async function writeCg(path: string, value: string): Promise<void> {
  try {
    await writeFile(path, value);
  } catch (e: unknown) {
    throw new Error(`cannot write '${value}' to ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** mkdir -p that tolerates an existing directory. */
export async function ensureDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
}

/**
 * Removes a container's cgroup. A cgroup can only be removed once its last process has been reaped, so
 * EBUSY is retried (killing stragglers) for up to a second. Missing dirs are fine (idempotent).
 */
export async function removeCgroup(dir: string, clock: Clock): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await rmdir(dir);
      return;
    } catch (e: unknown) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || i >= 50) throw e;
      killAll(await cgroupPids(dir));
      await sleep(clock, 20);
    }
  }
}

/** A container cgroup with no process for this long is dead whoever made it (launches join within ms). */
export const STALE_CGROUP_MS = 60_000;

/**
 * Removes dead container cgroups of the other agents under `<mount>/<cgroups_root>`: empty and older
 * than STALE_CGROUP_MS. Runs in the background (it may read thousands of dirs). Agents killed together with their tasks (tests, crashed hosts' leftovers) would
 * otherwise leave them forever, since only the owner's recovery knows its own orphans.
 */
export async function sweepStale(rootDir: string, clock: Clock, ownBase: string, removeBases: boolean): Promise<number> {
  let removed = 0;
  const bases = await readdir(rootDir, { withFileTypes: true }).catch(() => []);
  for (const b of bases) {
    // Our own orphans are destroyed by recover(), which knows which containers are live.
    if (!b.isDirectory() || b.name === ownBase) continue;
    const baseDir = join(rootDir, b.name);
    const containers = await readdir(baseDir, { withFileTypes: true }).catch(() => []);
    for (const c of containers) {
      if (!c.isDirectory()) continue;
      const dir = join(baseDir, c.name);
      const st = await stat(dir).catch(() => undefined);
      if (st === undefined || clock.now() - st.mtimeMs < STALE_CGROUP_MS) continue;
      if ((await cgroupPids(dir)).length > 0) continue;
      await rmdir(dir).then(
        () => removed++,
        () => undefined,
      );
    }
    // An idle base of a gone agent (v1 only: a live agent simply re-creates its base with mkdir -p, while
    // a v2 base also carries the subtree_control its containers need).
    if (!removeBases) continue;
    const left = (await readdir(baseDir, { withFileTypes: true }).catch(() => [])).some((e) => e.isDirectory());
    const st = await stat(baseDir).catch(() => undefined);
    if (!left && st !== undefined && clock.now() - st.mtimeMs >= STALE_CGROUP_MS) await rmdir(baseDir).catch(() => undefined);
  }
  return removed;
}
