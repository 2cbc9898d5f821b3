/**
 * Durable state of the apps framework in the Store: current apps, their stored versions, instances,
 * deployments and the framework id, as JSON under `apps/…` keys. This process is the only writer, so the
 * versions it last wrote are cached for compare-and-set; every write resolves only once the Store has it.
 */
import { getJson, jsonBytes, type Store, type Version } from '../../coordination/index.js';
import type { AppDefinition } from '../model/app.js';
import type { Instance } from '../model/instance.js';
import type { Deployment } from '../deploy/deployment.js';

const APP = 'apps/app/';
const VERSIONS = 'apps/versions/';
const INSTANCE = 'apps/instance/';
const DEPLOYMENT = 'apps/deployment/';
const FRAMEWORK_ID = 'apps/framework-id';
/** Stored versions kept per app (`--zk_max_versions`). */
export const MAX_VERSIONS = 50;

export interface LoadedState {
  readonly apps: AppDefinition[];
  readonly instances: Instance[];
  readonly deployments: Deployment[];
  readonly frameworkId: string | undefined;
}

export class AppsRepo {
  private readonly versions = new Map<string, Version>();

  /** `store` is shared with GroupRepo (its own `apps/group…` keys). */
  constructor(readonly store: Store) {}

  private async read<T>(key: string): Promise<T | undefined> {
    const v = await getJson<T>(this.store, key);
    if (v === undefined) return undefined;
    this.versions.set(key, v.version);
    return v.value;
  }

  private async write(key: string, value: unknown): Promise<void> {
    const expected = this.versions.get(key) ?? 'absent';
    this.versions.set(key, await this.store.put(key, jsonBytes(value), expected));
  }

  private async remove(key: string): Promise<void> {
    const expected = this.versions.get(key);
    if (expected === undefined) return;
    await this.store.delete(key, expected);
    this.versions.delete(key);
  }

  private async readAll<T>(prefix: string): Promise<T[]> {
    const out: T[] = [];
    for (const key of await this.store.list(prefix)) {
      const v = await this.read<T>(key);
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  async load(): Promise<LoadedState> {
    for (const key of await this.store.list(VERSIONS)) {
      const v = await this.store.get(key);
      if (v !== undefined) this.versions.set(key, v.version);
    }
    return {
      apps: await this.readAll<AppDefinition>(APP),
      instances: await this.readAll<Instance>(INSTANCE),
      deployments: await this.readAll<Deployment>(DEPLOYMENT),
      frameworkId: await this.read<string>(FRAMEWORK_ID),
    };
  }

  /** Stores the app as current and as a retrievable version (oldest versions beyond MAX_VERSIONS dropped). */
  async putApp(app: AppDefinition): Promise<void> {
    await this.write(`${APP}${app.id}`, app);
    await this.write(`${VERSIONS}${app.id}/${app.version}`, app);
    const keys = await this.store.list(`${VERSIONS}${app.id}/`);
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_VERSIONS))) await this.remove(k);
  }

  async deleteApp(id: string): Promise<void> {
    await this.remove(`${APP}${id}`);
    for (const k of await this.store.list(`${VERSIONS}${id}/`)) await this.remove(k);
  }

  /** Stored version timestamps of the app, newest first. */
  async appVersions(id: string): Promise<string[]> {
    const prefix = `${VERSIONS}${id}/`;
    return (await this.store.list(prefix)).map((k) => k.slice(prefix.length)).reverse();
  }

  async appVersion(id: string, version: string): Promise<AppDefinition | undefined> {
    const v = await getJson<AppDefinition>(this.store, `${VERSIONS}${id}/${version}`);
    return v?.value;
  }

  putInstance(i: Instance): Promise<void> {
    return this.write(`${INSTANCE}${i.instanceId}`, i);
  }

  /**
   * Stores several instances as one Store transaction (one fsync in SQLite) when the Store has `putMany`
   * (all or none are written), else one by one; the last of several with one id wins. Launching 1,000 instances took 3,000 fsyncs before.
   */
  async putInstances(all: readonly Instance[]): Promise<void> {
    // One write per instance (the last one given): a key twice in a batch would fail its own version check.
    const list = [...new Map(all.map((i) => [i.instanceId, i])).values()];
    if (list.length === 0) return;
    const putMany = this.store.putMany?.bind(this.store);
    if (putMany === undefined || list.length === 1) {
      for (const i of list) await this.putInstance(i);
      return;
    }
    const keys = list.map((i) => `${INSTANCE}${i.instanceId}`);
    const versions = await putMany(list.map((i, n) => ({ key: keys[n] ?? '', value: jsonBytes(i), expected: this.versions.get(keys[n] ?? '') ?? 'absent' })));
    keys.forEach((k, n) => this.versions.set(k, versions[n] ?? 0));
  }

  deleteInstance(instanceId: string): Promise<void> {
    return this.remove(`${INSTANCE}${instanceId}`);
  }

  putDeployment(d: Deployment): Promise<void> {
    return this.write(`${DEPLOYMENT}${d.id}`, d);
  }

  deleteDeployment(id: string): Promise<void> {
    return this.remove(`${DEPLOYMENT}${id}`);
  }

  putFrameworkId(id: string): Promise<void> {
    return this.write(FRAMEWORK_ID, id);
  }
}
