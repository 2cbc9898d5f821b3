import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/core/clock.js';
import { DiskIsolator } from '../../../../src/agent/containerizer/isolators/disk.js';
import { waitFor } from '../../../helpers/wait.js';

describe('disk/du isolator', () => {
  it('reports usage, and with enforcement a limitation once the sandbox outgrows its disk', async () => {
    const clock = new FakeClock(0);
    let used = 5 * 1048576;
    const iso = new DiskIsolator(clock, 1000, true, async () => used);
    await iso.prepare({ containerId: 'c', sandbox: '/sb', resources: { cpus: 1, memMb: 32, diskMb: 10 } });
    let hit: string | undefined;
    void iso.watch('c').then((l) => (hit = l.message));
    await clock.advance(1000);
    await waitFor(async () => (await iso.usage('c')).disk_used_bytes === used, { what: 'first measurement' });
    expect(await iso.usage('c')).toEqual({ disk_used_bytes: 5 * 1048576, disk_limit_bytes: 10 * 1048576 });
    expect(hit).toBeUndefined();
    used = 20 * 1048576;
    await waitFor(async () => {
      await clock.advance(1000);
      return hit;
    }, { what: 'limitation' });
    expect(hit).toBe('Disk usage (20MB) exceeds quota (10MB)');
    await iso.cleanup('c');
    expect(await iso.usage('c')).toEqual({});
  });

  it('only measures without --enforce_container_disk_quota', async () => {
    const iso = new DiskIsolator(new FakeClock(0), 1000, false, async () => 99 * 1048576);
    await iso.prepare({ containerId: 'c', sandbox: '/sb', resources: { cpus: 1, memMb: 32, diskMb: 10 } });
    expect(await iso.poll('c')).toBeUndefined();
    expect((await iso.usage('c')).disk_used_bytes).toBe(99 * 1048576);
  });
});
