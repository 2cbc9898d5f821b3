/**
 * The agent's checkpointed resources (dynamic reservations and persistent volumes, spec §2.5): the total
 * the master last sent in CHECKPOINT_RESOURCES, persisted atomically under the meta dir and reported as
 * `checkpointed_resources` when (re-)registering, so reservations survive agent and master restarts.
 * Persistent volumes live in `<work_dir>/volumes/roles/<role>/<persistence id>` and are linked into a
 * task's sandbox at their container_path (a symlink: no mount namespaces yet).
 */
import { mkdir, rm, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import type { ResourceJson } from '../api/mesos/common.js';
import { fromWire, type Resources, type WireResource } from '../core/resources.js';
import { readJsonFile, writeFileAtomic } from './checkpoint/atomic.js';
import { metaDir } from './checkpoint/recovery.js';

export const resourcesFile = (workDir: string): string => join(metaDir(workDir), 'resources', 'resources.json');

/** Directory of a persistent volume; '/' in hierarchical roles becomes ' ', as upstream (no nesting). */
export function volumePath(workDir: string, role: string, persistenceId: string): string {
  return join(workDir, 'volumes', 'roles', role.replaceAll('/', ' '), persistenceId);
}

interface VolumeRef {
  readonly role: string;
  readonly id: string;
  readonly containerPath: string | undefined;
}

/** Persistent volumes among resources: (role, persistence id, container path). */
export function volumesOf(resources: readonly ResourceJson[] | undefined): VolumeRef[] {
  const out: VolumeRef[] = [];
  for (const r of resources ?? []) {
    const disk = r.disk as { persistence?: { id?: string }; volume?: { container_path?: string } } | undefined;
    const id = disk?.persistence?.id;
    if (r.name !== 'disk' || id === undefined) continue;
    const role = r.reservations?.[r.reservations.length - 1]?.role ?? r.role ?? '*';
    out.push({ role, id, containerPath: disk?.volume?.container_path });
  }
  return out;
}

/** The checkpointed total, or undefined when the master never sent one. */
export async function readCheckpointedResources(workDir: string): Promise<ResourceJson[] | undefined> {
  const v = await readJsonFile(resourcesFile(workDir));
  return Array.isArray(v) ? (v as ResourceJson[]) : undefined;
}

/**
 * Persists a new total (durable once resolved), creates the directories of new volumes and removes those
 * of destroyed ones (`previous` is the total it replaces).
 */
export async function writeCheckpointedResources(workDir: string, resources: readonly ResourceJson[], previous: readonly ResourceJson[] | undefined): Promise<void> {
  await writeFileAtomic(resourcesFile(workDir), JSON.stringify(resources));
  const now = volumesOf(resources);
  const keys = new Set(now.map((v) => `${v.role}\u0000${v.id}`));
  for (const v of now) await mkdir(volumePath(workDir, v.role, v.id), { recursive: true });
  for (const v of volumesOf(previous)) {
    if (!keys.has(`${v.role}\u0000${v.id}`)) await rm(volumePath(workDir, v.role, v.id), { recursive: true, force: true });
  }
}

/** Links each persistent volume of a task's resources into its sandbox at the volume's container_path. */
export async function linkVolumes(workDir: string, sandbox: string, resources: readonly ResourceJson[] | undefined): Promise<void> {
  for (const v of volumesOf(resources)) {
    if (v.containerPath === undefined) continue;
    const rel = normalize(v.containerPath);
    if (isAbsolute(rel) || rel.startsWith(`..${sep}`) || rel === '..') throw new Error(`Volume container_path '${v.containerPath}' must be relative to the sandbox`);
    const target = volumePath(workDir, v.role, v.id);
    await mkdir(target, { recursive: true });
    const at = join(sandbox, rel);
    await mkdir(dirname(at), { recursive: true });
    await rm(at, { force: true });
    await symlink(target, at, 'dir');
  }
}

/** The agent's checkpointed total: loaded at recovery, replaced by CHECKPOINT_RESOURCES; writes run in order. */
export class ResourceCheckpoint {
  private current: ResourceJson[] | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly workDir: string) {}

  /** What to report as `checkpointed_resources`; undefined when the master never sent a total. */
  get resources(): ResourceJson[] | undefined {
    return this.current;
  }

  /** The agent's total: the checkpoint when there is one, else the flags' resources. */
  total(fromFlags: Resources): Resources {
    return this.current === undefined ? fromFlags : fromWire(this.current as WireResource[]);
  }

  async load(): Promise<void> {
    this.current = await readCheckpointedResources(this.workDir);
  }

  /** Records a new total; the promise resolves once it (and every earlier one) is durable. */
  update(next: ResourceJson[]): Promise<void> {
    const previous = this.current;
    this.current = next;
    const write = this.chain.then(() => writeCheckpointedResources(this.workDir, next, previous));
    this.chain = write.catch(() => undefined);
    return write;
  }
}
