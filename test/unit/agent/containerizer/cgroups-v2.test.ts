// The cgroups v2 code path against a fake hierarchy in a temp dir (this machine's v2 mount has no cpu or
// memory controller, so v2 is exercised here on files; v1 runs for real in test/integration/o-containers).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../../../src/core/clock.js';
import { waitFor } from '../../../helpers/wait.js';
import { agentCgroupBase, detectCgroups } from '../../../../src/agent/containerizer/isolators/cgroups-host.js';
import { CgroupsV2Isolator } from '../../../../src/agent/containerizer/isolators/cgroups-v2.js';
import { cpuWeight } from '../../../../src/agent/containerizer/isolators/cgroups-limits.js';

let root: string;
/** Above any pid_max: SIGKILL to it fails with ESRCH, so the fake cgroup lists a process that cannot be hit. */
const NO_PID = 2_147_483_000;
const clock = new FakeClock(1_000_000);
const base = agentCgroupBase('agora', '/var/lib/agora');
const opts = { base, cpu: true, mem: true, pids: true, enableCfs: true, maxPids: 100, watchIntervalMs: 1000 };
const cfg = (id: string) => ({ containerId: id, sandbox: '/sb', resources: { cpus: 1.5, memMb: 64, diskMb: 0 } });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'agora-cg2-'));
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
  writeFileSync(join(root, 'cgroup.subtree_control'), 'cpu memory pids\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('cgroups v2 (fake hierarchy)', () => {
  it('detects a unified hierarchy with cpu and memory, and prefers it over v1', async () => {
    const host = await detectCgroups(root);
    expect(host.version).toBe(2);
    if (host.version === 2) expect([...host.controllers]).toContain('memory');
    writeFileSync(join(root, 'cgroup.controllers'), 'hugetlb\n');
    expect((await detectCgroups(root)).version).toBe(0);
  });

  it('finds a hybrid host\'s unified mount only when it holds the controllers', async () => {
    rmSync(join(root, 'cgroup.controllers'));
    mkdirSync(join(root, 'unified'));
    writeFileSync(join(root, 'unified', 'cgroup.controllers'), 'cpu memory pids\n');
    const host = await detectCgroups(root);
    expect(host).toMatchObject({ version: 2, mount: join(root, 'unified') });
  });

  it('enables controllers down the agent subtree and writes the limits of a container', async () => {
    const iso = new CgroupsV2Isolator(root, new Set(['cpu', 'memory', 'pids']), opts, clock);
    await iso.init();
    expect(readFileSync(join(root, 'agora', 'cgroup.subtree_control'), 'utf8')).toBe('+cpu +memory +pids');
    expect(readFileSync(join(root, base, 'cgroup.subtree_control'), 'utf8')).toBe('+cpu +memory +pids');
    const patch = await iso.prepare(cfg('c1'));
    const dir = join(root, base, 'c1');
    expect(patch.cgroupProcs).toEqual([join(dir, 'cgroup.procs')]);
    expect(readFileSync(join(dir, 'cpu.weight'), 'utf8')).toBe(String(cpuWeight(1.5)));
    expect(readFileSync(join(dir, 'cpu.max'), 'utf8')).toBe('150000 100000');
    expect(readFileSync(join(dir, 'memory.max'), 'utf8')).toBe(String(64 * 1024 * 1024));
    expect(readFileSync(join(dir, 'memory.low'), 'utf8')).toBe(String(64 * 1024 * 1024));
    expect(readFileSync(join(dir, 'pids.max'), 'utf8')).toBe('100');
  });

  it('reads usage and reports OOM from memory.events', async () => {
    const iso = new CgroupsV2Isolator(root, new Set(['cpu', 'memory', 'pids']), opts, clock);
    await iso.init();
    await iso.prepare(cfg('c1'));
    const dir = join(root, base, 'c1');
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 3000000\nuser_usec 2000000\nsystem_usec 1000000\nnr_periods 10\nnr_throttled 4\nthrottled_usec 500000\n');
    writeFileSync(join(dir, 'memory.current'), '1048576\n');
    writeFileSync(join(dir, 'memory.stat'), 'anon 524288\nfile 4096\n');
    writeFileSync(join(dir, 'cgroup.procs'), '10\n11\n');
    writeFileSync(join(dir, 'pids.current'), '3\n');
    expect(await iso.usage('c1')).toEqual({
      cpus_user_time_secs: 2,
      cpus_system_time_secs: 1,
      cpus_nr_periods: 10,
      cpus_nr_throttled: 4,
      cpus_throttled_time_secs: 0.5,
      mem_total_bytes: 1048576,
      mem_rss_bytes: 524288,
      mem_cache_bytes: 4096,
      processes: 2,
      threads: 3,
      mem_limit_bytes: 64 * 1024 * 1024,
      mem_soft_limit_bytes: 64 * 1024 * 1024,
    });
    expect(await iso.check('c1')).toBeUndefined();
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n');
    writeFileSync(join(dir, 'memory.peak'), String(64 * 1024 * 1024));
    expect(await iso.check('c1')).toEqual({ reason: 'REASON_CONTAINER_LIMITATION_MEMORY', message: 'Memory limit exceeded: Requested: 64MB Maximum Used: 64MB' });
  });

  it('watch settles on the poll after an OOM', async () => {
    const iso = new CgroupsV2Isolator(root, new Set(['cpu', 'memory', 'pids']), opts, clock);
    await iso.init();
    await iso.prepare(cfg('c1'));
    let hit: string | undefined;
    void iso.watch('c1').then((l) => (hit = l.reason));
    await clock.advance(1000);
    expect(hit).toBeUndefined();
    writeFileSync(join(root, base, 'c1', 'memory.events'), 'oom_kill 2\n');
    // The poll reads real files: advance the clock until its (asynchronous) read has seen the OOM.
    await waitFor(async () => {
      await clock.advance(1000);
      return hit;
    }, { what: 'watch to settle' });
    expect(hit).toBe('REASON_CONTAINER_LIMITATION_MEMORY');
    iso.stop();
  });

  it('kills through cgroup.kill when the kernel has it, removes the cgroup, and destroys orphans', async () => {
    const iso = new CgroupsV2Isolator(root, new Set(['cpu', 'memory', 'pids']), opts, clock);
    await iso.init();
    await iso.prepare(cfg('c1'));
    const dir = join(root, base, 'c1');
    writeFileSync(join(dir, 'cgroup.kill'), '');
    expect(await iso.kill('c1')).toBe(false);
    writeFileSync(join(dir, 'cgroup.procs'), `${NO_PID}\n`);
    expect(await iso.kill('c1')).toBe(true);
    expect(readFileSync(join(dir, 'cgroup.kill'), 'utf8')).toBe('1');
    expect(await iso.kill('nope')).toBe(false);
    // A real cgroupfs removes the control files with rmdir; a fake one needs them gone first.
    rmSync(dir, { recursive: true });
    await iso.cleanup('c1');
    await iso.cleanup('c1');
    mkdirSync(join(root, base, 'orphan'));
    writeFileSync(join(root, base, 'orphan', 'cgroup.kill'), '');
    writeFileSync(join(root, base, 'orphan', 'cgroup.procs'), `${NO_PID}\n`);
    mkdirSync(join(root, base, 'known'));
    writeFileSync(join(root, base, 'known', 'cgroup.kill'), '');
    await iso.recover(new Set(['known']));
    // Killed (the rmdir that follows needs a real cgroupfs: a fake dir with files in it stays).
    expect(readFileSync(join(root, base, 'orphan', 'cgroup.kill'), 'utf8')).toBe('1');
    expect(readFileSync(join(root, base, 'known', 'cgroup.kill'), 'utf8')).toBe('');
    rmSync(join(root, base, 'known'), { recursive: true });
    await iso.cleanup('known');
    expect(existsSync(join(root, base, 'known'))).toBe(false);
  });

  it('without cgroup.kill, freezes, kills and thaws', async () => {
    const iso = new CgroupsV2Isolator(root, new Set(['cpu', 'memory', 'pids']), opts, clock);
    await iso.init();
    await iso.prepare(cfg('c2'));
    const dir = join(root, base, 'c2');
    writeFileSync(join(dir, 'cgroup.events'), 'populated 1\nfrozen 1\n');
    writeFileSync(join(dir, 'cgroup.procs'), `${NO_PID}\n`);
    expect(await iso.kill('c2')).toBe(true);
    expect(readFileSync(join(dir, 'cgroup.freeze'), 'utf8')).toBe('0');
  });
});
