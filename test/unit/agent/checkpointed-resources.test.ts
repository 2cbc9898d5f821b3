import { mkdtemp, readlink, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResourceJson } from '../../../src/api/mesos/common.js';
import { linkVolumes, ResourceCheckpoint, resourcesFile, volumePath } from '../../../src/agent/checkpointed-resources.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agora-ckpt-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const vol = (id: string, role = 'dev'): ResourceJson =>
  ({
    name: 'disk',
    type: 'SCALAR',
    scalar: { value: 10 },
    reservations: [{ type: 'DYNAMIC', role }],
    disk: { persistence: { id }, volume: { container_path: 'data/v', mode: 'RW' } },
  });
const cpus = { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, reservations: [{ type: 'DYNAMIC', role: 'dev' }] } as ResourceJson;

const exists = async (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

describe('ResourceCheckpoint', () => {
  it('is empty until the master sends a total, persists it and reloads it', async () => {
    const c = new ResourceCheckpoint(dir);
    await c.load();
    expect(c.resources).toBeUndefined();
    await c.update([cpus, vol('v1')]);
    expect(JSON.parse(await readFile(resourcesFile(dir), 'utf8'))).toEqual([cpus, vol('v1')]);
    const again = new ResourceCheckpoint(dir);
    await again.load();
    expect(again.resources).toEqual([cpus, vol('v1')]);
  });
  it('creates volume directories and removes destroyed ones, writes in order', async () => {
    const c = new ResourceCheckpoint(dir);
    await c.load();
    const first = c.update([vol('v1'), vol('v2')]);
    const second = c.update([vol('v2')]);
    await Promise.all([first, second]);
    expect(await exists(volumePath(dir, 'dev', 'v1'))).toBe(false);
    expect(await exists(volumePath(dir, 'dev', 'v2'))).toBe(true);
    expect(c.resources).toEqual([vol('v2')]);
  });
  it('throws on a corrupt file rather than forgetting reservations', async () => {
    const c = new ResourceCheckpoint(dir);
    await c.update([cpus]);
    await writeFile(resourcesFile(dir), '{not json');
    await expect(new ResourceCheckpoint(dir).load()).rejects.toThrow();
  });
});

describe('linkVolumes', () => {
  it('links a task volume into the sandbox at container_path', async () => {
    const sandbox = join(dir, 'sandbox');
    await linkVolumes(dir, sandbox, [cpus, vol('v1')]);
    expect(await readlink(join(sandbox, 'data', 'v'))).toBe(volumePath(dir, 'dev', 'v1'));
    await writeFile(join(sandbox, 'data', 'v', 'f'), 'x');
    expect(await readFile(join(volumePath(dir, 'dev', 'v1'), 'f'), 'utf8')).toBe('x');
  });
  it('keeps hierarchical roles in one directory level', () => {
    expect(volumePath('/w', 'eng/web', 'v1')).toBe('/w/volumes/roles/eng web/v1');
  });
  it('refuses paths outside the sandbox', async () => {
    const bad = { ...vol('v1'), disk: { persistence: { id: 'v1' }, volume: { container_path: '../escape' } } } as ResourceJson;
    await expect(linkVolumes(dir, join(dir, 'sandbox'), [bad])).rejects.toThrow(/relative/);
  });
});
