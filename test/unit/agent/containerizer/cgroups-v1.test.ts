// cgroups v1 file handling against a fake hierarchy (the real v1 path runs in test/integration/o-containers).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../../../src/core/clock.js';
import { agentCgroupBase, detectCgroups, parseKeyed, sweepStale, V1_CONTROLLERS } from '../../../../src/agent/containerizer/isolators/cgroups-host.js';
import { CgroupsV1Isolator } from '../../../../src/agent/containerizer/isolators/cgroups-v1.js';

let root: string;
const clock = new FakeClock(1_000_000);
const base = agentCgroupBase('agora', '/w');

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'agora-cg1-'));
  for (const c of V1_CONTROLLERS) {
    mkdirSync(join(root, c));
    writeFileSync(join(root, c, 'cgroup.procs'), '');
  }
  writeFileSync(join(root, 'memory', 'memory.limit_in_bytes'), '');
  writeFileSync(join(root, 'cpu', 'cpu.shares'), '1024');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('cgroups v1 (fake hierarchy)', () => {
  it('detects one mount per controller', async () => {
    const host = await detectCgroups(root);
    expect(host.version).toBe(1);
    if (host.version === 1) expect(Object.keys(host.mounts).sort()).toEqual([...V1_CONTROLLERS].sort());
  });

  it('writes shares, CFS quota, memory hard and soft limits and pids.max; joins every controller', async () => {
    const host = await detectCgroups(root);
    if (host.version !== 1) throw new Error('v1 expected');
    const iso = new CgroupsV1Isolator(host.mounts, { base, cpu: true, mem: true, pids: true, enableCfs: true, maxPids: 64, watchIntervalMs: 1000 }, clock);
    await iso.init();
    const patch = await iso.prepare({ containerId: 'c', sandbox: '/s', resources: { cpus: 0.5, memMb: 128, diskMb: 0 } });
    expect(patch.cgroupProcs?.length).toBe(5);
    const d = (c: string) => join(root, c, base, 'c');
    expect(readFileSync(join(d('cpu'), 'cpu.shares'), 'utf8')).toBe('512');
    expect(readFileSync(join(d('cpu'), 'cpu.cfs_quota_us'), 'utf8')).toBe('50000');
    expect(readFileSync(join(d('cpu'), 'cpu.cfs_period_us'), 'utf8')).toBe('100000');
    expect(readFileSync(join(d('memory'), 'memory.limit_in_bytes'), 'utf8')).toBe(String(128 << 20));
    expect(readFileSync(join(d('memory'), 'memory.soft_limit_in_bytes'), 'utf8')).toBe(String(128 << 20));
    expect(readFileSync(join(d('pids'), 'pids.max'), 'utf8')).toBe('64');
    writeFileSync(join(d('memory'), 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
    writeFileSync(join(d('memory'), 'memory.max_usage_in_bytes'), String(128 << 20));
    expect((await iso.check('c'))?.message).toBe('Memory limit exceeded: Requested: 128MB Maximum Used: 128MB');
    writeFileSync(join(d('cpuacct'), 'cpuacct.stat'), 'user 150\nsystem 50\n');
    expect(await iso.usage('c')).toMatchObject({ cpus_user_time_secs: 1.5, cpus_system_time_secs: 0.5, mem_limit_bytes: 128 << 20 });
  });

  it('leaves the kernel default weight for a container without cpus', async () => {
    const host = await detectCgroups(root);
    if (host.version !== 1) throw new Error('v1 expected');
    const iso = new CgroupsV1Isolator(host.mounts, { base, cpu: true, mem: true, pids: false, enableCfs: false, maxPids: 0, watchIntervalMs: 1000 }, clock);
    await iso.init();
    await iso.prepare({ containerId: 'e', sandbox: '/s', resources: { cpus: 0, memMb: 0, diskMb: 0 } });
    expect(() => readFileSync(join(root, 'cpu', base, 'e', 'cpu.shares'), 'utf8')).toThrow();
  });

  it('parses keyed control files', () => {
    expect([...parseKeyed('user 1\nsystem 2\nbad x\n\n')]).toEqual([['user', 1], ['system', 2]]);
  });

  it('sweeps dead (empty, old) containers and idle bases of other agents, never its own', async () => {
    const agora = join(root, 'memory', 'agora');
    const old = new Date(Date.now() - 5 * 60_000);
    const stale: string[] = [];
    const mk = (rel: string, procs: string | undefined, isStale: boolean): void => {
      mkdirSync(join(agora, rel), { recursive: true });
      // A fake dir with a file in it cannot be rmdir'd: an empty fake stands for a removable cgroup.
      if (procs !== undefined) writeFileSync(join(agora, rel, 'cgroup.procs'), procs);
      if (isStale) stale.push(rel);
    };
    mk('other/dead', undefined, true);
    mk('other/young', '', false);
    mk('other/busy', '123\n', true);
    mk('mine/dead', undefined, true);
    mk('gone/dead', undefined, true);
    for (const rel of [...stale, 'gone']) utimesSync(join(agora, rel), old, old);
    const clock = new FakeClock(Date.now());
    expect(await sweepStale(agora, clock, 'mine', true)).toBe(2);
    expect(existsSync(join(agora, 'other', 'dead'))).toBe(false);
    expect(existsSync(join(agora, 'other', 'young'))).toBe(true);
    expect(existsSync(join(agora, 'other', 'busy'))).toBe(true);
    expect(existsSync(join(agora, 'mine', 'dead'))).toBe(true);
    // Emptied just now (its mtime moved): an idle base goes at a later sweep.
    expect(existsSync(join(agora, 'gone'))).toBe(true);
    utimesSync(join(agora, 'gone'), old, old);
    await sweepStale(agora, clock, 'mine', true);
    expect(existsSync(join(agora, 'gone'))).toBe(false);
    expect(existsSync(join(agora, 'mine'))).toBe(true);
  });
});
