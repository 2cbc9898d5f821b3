import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../../../src/core/clock.js';
import { parseIsolation } from '../../../../src/agent/containerizer/isolation.js';
import { DEFAULT_CONTAINERIZER_SETTINGS, selectIsolators } from '../../../../src/agent/containerizer/select.js';
import { initScript, unshareArgv, workDirUnderTmp } from '../../../../src/agent/containerizer/isolators/namespaces.js';
import { lookupUser, rlimitOptions } from '../../../../src/agent/containerizer/task-user.js';
import { agentCgroupBase } from '../../../../src/agent/containerizer/isolators/cgroups-host.js';
import { containerizerSettings } from '../../../../src/agent/config.js';

describe('--isolation', () => {
  it('auto asks for the strongest set; lists are checked', () => {
    expect(parseIsolation('auto', false)).toMatchObject({ auto: true, cgroupMem: true, pidNs: true, privateTmp: true, disk: false });
    expect(parseIsolation('posix/cpu,posix/mem', false)).toMatchObject({ auto: false, cgroupMem: false, pidNs: false });
    expect(parseIsolation('cgroups/all,disk/du', false)).toMatchObject({ cgroupCpu: true, cgroupMem: true, cgroupPids: true, disk: true });
    expect(parseIsolation('posix/cpu', true).disk).toBe(true);
    expect(() => parseIsolation('cgroups/gpu', false)).toThrow(/Unknown isolator 'cgroups\/gpu'/);
  });

  it('auto falls back to posix when there are no cgroups and the agent is not root, and says why', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'agora-nocg-'));
    const sel = await selectIsolators({ ...DEFAULT_CONTAINERIZER_SETTINGS, cgroupsHierarchy: empty }, { workDir: '/w', clock: new FakeClock(0), isRoot: false, prefix: (id) => id });
    expect(sel.names).toEqual(['posix/cpu', 'posix/mem']);
    expect(sel.posix).toBe(true);
    expect(sel.reason).toMatch(/no cgroup v1 .* or v2 hierarchy/);
    expect(sel.reason).toMatch(/not root/);
  });

  it('an explicit list the host cannot honour fails the start', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'agora-nocg-'));
    await expect(selectIsolators({ ...DEFAULT_CONTAINERIZER_SETTINGS, isolation: 'cgroups/mem', cgroupsHierarchy: empty }, { workDir: '/w', clock: new FakeClock(0), isRoot: true, prefix: (id) => id })).rejects.toThrow(/cannot be honoured/);
  });

  it('flags map to settings', () => {
    expect(containerizerSettings({ isolation: 'posix/cpu', cgroups_enable_cfs: true, container_disk_watch_interval: 500, switch_user: false })).toMatchObject({ isolation: 'posix/cpu', cgroupsEnableCfs: true, diskWatchIntervalMs: 500, switchUser: false, cgroupsRoot: 'agora' });
  });

  it('cgroups_root must be a plain relative path; the agent key separates work dirs', () => {
    expect(() => agentCgroupBase('../etc', '/w')).toThrow();
    expect(() => agentCgroupBase('a b', '/w')).toThrow();
    expect(agentCgroupBase('agora', '/w1')).not.toBe(agentCgroupBase('agora', '/w2'));
    expect(agentCgroupBase('x/y', '/w')).toMatch(/^x\/y\/[0-9a-f]{12}$/);
  });
});

describe('namespaces', () => {
  it('builds the unshare command line and the init script', () => {
    const argv = unshareArgv({ unshare: '/usr/bin/unshare', pid: true, mountTmp: true, uts: true, ipc: false, prefix: (id) => id, workDir: '/w' });
    expect(argv.slice(0, 8)).toEqual(['/usr/bin/unshare', '--mount', '--propagation', 'private', '--pid', '--fork', '--mount-proc', '--uts']);
    expect(argv).not.toContain('--ipc');
    expect(argv.slice(-4, -2)).toEqual(['/bin/sh', '-c']);
    expect(initScript(false)).toBe('__agora_r=$1; __agora_w=$2; shift 2; "$@" & : >"$__agora_r"; wait $!');
    expect(initScript(true)).toContain('mount -n -c --rbind "$PWD/tmp" /tmp');
    expect(workDirUnderTmp('/tmp/agora-x/')).toBe('agora-x');
    expect(workDirUnderTmp('/var/lib/agora')).toBe('');
  });
});

describe('task user and rlimits', () => {
  it('looks users up in passwd, by name or uid', async () => {
    const p = join(mkdtempSync(join(tmpdir(), 'agora-pw-')), 'passwd');
    writeFileSync(p, 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1002::/home/alice:/bin/sh\n');
    expect(await lookupUser('alice', p)).toEqual({ name: 'alice', uid: 1001, gid: 1002, home: '/home/alice' });
    expect(await lookupUser('1001', p)).toMatchObject({ name: 'alice' });
    expect(await lookupUser('bob', p)).toBeUndefined();
  });

  it('maps RLimitInfo to prlimit options, by enum name or number', () => {
    expect(rlimitOptions({ rlimit_info: { rlimits: [{ type: 'RLMT_NOFILE', soft: 10, hard: 20 }, { type: 4 }] } })).toEqual(['--nofile=10:20', '--data=unlimited:unlimited']);
    expect(rlimitOptions(undefined)).toEqual([]);
    expect(() => rlimitOptions({ rlimit_info: { rlimits: [{ type: 'RLMT_CORE', soft: 1 }] } })).toThrow(/both be set/);
    expect(() => rlimitOptions({ rlimit_info: { rlimits: [{ type: 'RLMT_X' }] } })).toThrow(/Unknown rlimit/);
    expect(() => rlimitOptions({ rlimit_info: { rlimits: [{ type: 'RLMT_CPU', soft: 5, hard: 1 }] } })).toThrow(/soft <= hard/);
  });
});
