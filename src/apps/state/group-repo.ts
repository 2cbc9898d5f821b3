/**
 * Durable group state of the apps framework (ADR 0044): explicit group attributes (dependencies, enforceRole)
 * under `apps/group/<id>`, and root-group versions — a snapshot of every app and group per group change —
 * under `apps/group-version/<ts>` (newest MAX_VERSIONS kept) for `/v2/groups/…/versions` and rollback.
 * Like AppsRepo it is the only writer of its keys, so it caches their versions for compare-and-set.
 */
import { getJson, jsonBytes, type Store, type Version } from '../../coordination/index.js';
import type { AppDefinition } from '../model/app.js';
import type { GroupMeta } from '../deploy/group-plan.js';
import { MAX_VERSIONS } from './repo.js';

const GROUP = 'apps/group/';
const GROUP_VERSION = 'apps/group-version/';

/** The whole root group at one version. */
export interface RootSnapshot {
  readonly version: string;
  readonly apps: readonly AppDefinition[];
  readonly groups: readonly GroupMeta[];
}

export class GroupRepo {
  private readonly versions = new Map<string, Version>();

  constructor(private readonly store: Store) {}

  private async write(key: string, value: unknown): Promise<void> {
    let expected: Version | 'absent' | undefined = this.versions.get(key);
    if (expected === undefined) expected = (await this.store.get(key))?.version ?? 'absent';
    this.versions.set(key, await this.store.put(key, jsonBytes(value), expected));
  }

  private async remove(key: string): Promise<void> {
    const expected = this.versions.get(key) ?? (await this.store.get(key))?.version;
    if (expected === undefined) return;
    await this.store.delete(key, expected);
    this.versions.delete(key);
  }

  async loadGroups(): Promise<GroupMeta[]> {
    const out: GroupMeta[] = [];
    for (const key of await this.store.list(GROUP)) {
      const v = await getJson<GroupMeta>(this.store, key);
      if (v === undefined) continue;
      this.versions.set(key, v.version);
      out.push(v.value);
    }
    return out;
  }

  putGroup(g: GroupMeta): Promise<void> {
    return this.write(`${GROUP}${g.id}`, g);
  }

  deleteGroup(id: string): Promise<void> {
    return this.remove(`${GROUP}${id}`);
  }

  /** Stores a root version; the oldest beyond MAX_VERSIONS are dropped. */
  async putSnapshot(s: RootSnapshot): Promise<void> {
    await this.write(`${GROUP_VERSION}${s.version}`, s);
    const keys = await this.store.list(GROUP_VERSION);
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_VERSIONS))) await this.remove(k);
  }

  /** Stored root versions, newest first. */
  async snapshotVersions(): Promise<string[]> {
    return (await this.store.list(GROUP_VERSION)).map((k) => k.slice(GROUP_VERSION.length)).reverse();
  }

  async snapshot(version: string): Promise<RootSnapshot | undefined> {
    return (await getJson<RootSnapshot>(this.store, `${GROUP_VERSION}${version}`))?.value;
  }
}
