// The Containerizer's life cycle with recording isolators around real supervised processes: prepare in
// order, cleanup in reverse past failures, limitations reach the exit status, boot id tracking.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemClock } from '../../../../src/core/clock.js';
import { Containerizer, DEFAULT_CONTAINERIZER_SETTINGS, type ContainerExit } from '../../../../src/agent/containerizer/containerizer.js';
import type { Isolator, Limitation } from '../../../../src/agent/containerizer/isolators/isolator.js';
import { killPids, pidsUsingPath } from '../../../helpers/proc.js';
import { waitFor } from '../../../helpers/wait.js';

let dir: string;
let c: Containerizer | undefined;
const exits = new Map<string, ContainerExit>();
const PATH = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };

function recorder(name: string, log: string[], opts: { failCleanup?: boolean; limitation?: Limitation } = {}): Isolator {
  return {
    name,
    prepare: async (cfg) => {
      log.push(`${name}.prepare ${cfg.containerId} cpus=${cfg.resources.cpus}`);
      return undefined;
    },
    check: async (id) => {
      log.push(`${name}.check ${id}`);
      return opts.limitation;
    },
    cleanup: async (id) => {
      log.push(`${name}.cleanup ${id}`);
      if (opts.failCleanup === true) throw new Error(`${name} cleanup failed`);
    },
  };
}

async function make(isolators: Isolator[], bootIdPath?: string): Promise<Containerizer> {
  c = new Containerizer(join(dir, 'runs'), new SystemClock(), (cid, st) => exits.set(cid, st), DEFAULT_CONTAINERIZER_SETTINGS, { workDir: dir, isolators, pollIntervalMs: 50, ...(bootIdPath !== undefined ? { bootIdPath } : {}) });
  await c.init();
  return c;
}

function sandbox(id: string): string {
  const s = join(dir, 'sb', id);
  mkdirSync(s, { recursive: true });
  return s;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agora-ctz-'));
  exits.clear();
});
afterEach(() => {
  c?.stop();
  c = undefined;
  killPids(pidsUsingPath(dir));
  rmSync(dir, { recursive: true, force: true });
});

describe('Containerizer', () => {
  it('prepares in order, cleans up in reverse past a failure, then reports the exit', async () => {
    const log: string[] = [];
    const z = await make([recorder('a', log), recorder('b', log, { failCleanup: true }), recorder('c', log)]);
    await z.launch({ containerId: 'k1', sandbox: sandbox('k1'), command: { value: 'exit 3' }, env: PATH, resources: [{ name: 'cpus', scalar: { value: 0.5 } }] });
    const st = await waitFor(() => exits.get('k1'), { what: 'exit' });
    expect(st).toEqual({ kind: 'exited', code: 3 });
    expect(log).toEqual(['a.prepare k1 cpus=0.5', 'b.prepare k1 cpus=0.5', 'c.prepare k1 cpus=0.5', 'a.check k1', 'b.check k1', 'c.check k1', 'c.cleanup k1', 'b.cleanup k1', 'a.cleanup k1']);
  });

  it('update() hands new limits of a running container to every isolator that can change them', async () => {
    const log: string[] = [];
    const resizable: Isolator = { ...recorder('cg', log), update: async (id, want) => void log.push(`cg.update ${id} cpus=${want.cpus} mem=${want.memMb}`) };
    const z = await make([resizable, recorder('fixed', log)]);
    await z.launch({ containerId: 'k9', sandbox: sandbox('k9'), command: { value: 'sleep 5' }, env: PATH, resources: [{ name: 'cpus', scalar: { value: 0.5 } }] });
    await z.update('k9', [{ name: 'cpus', scalar: { value: 1.5 } }, { name: 'mem', scalar: { value: 64 } }]);
    await z.update('unknown', [{ name: 'cpus', scalar: { value: 9 } }]);
    expect(log.filter((l) => l.includes('update'))).toEqual(["cg.update k9 cpus=1.5 mem=64"]);
  });

  it('adds a limitation found at exit to the exit status', async () => {
    const log: string[] = [];
    const lim: Limitation = { reason: 'REASON_CONTAINER_LIMITATION_MEMORY', message: 'Memory limit exceeded: Requested: 64MB Maximum Used: 64MB' };
    const z = await make([recorder('mem', log, { limitation: lim })]);
    await z.launch({ containerId: 'k2', sandbox: sandbox('k2'), command: { value: 'kill -KILL $$' }, env: PATH });
    expect(await waitFor(() => exits.get('k2'), { what: 'exit' })).toEqual({ kind: 'signaled', signal: 'SIGKILL', limitation: lim });
  });

  it('a failed prepare cleans up what was prepared and fails the launch; a missing user fails it clearly', async () => {
    const log: string[] = [];
    const bad: Isolator = { name: 'bad', prepare: () => Promise.reject(new Error('no cgroup for you')), cleanup: async (id) => void log.push(`bad.cleanup ${id}`) };
    const z = await make([recorder('a', log), bad]);
    await expect(z.launch({ containerId: 'k3', sandbox: sandbox('k3'), command: { value: 'true' }, env: PATH })).rejects.toThrow('no cgroup for you');
    expect(log).toEqual(['a.prepare k3 cpus=0', 'bad.cleanup k3', 'a.cleanup k3']);
    const y = await make([]);
    await expect(y.launch({ containerId: 'k4', sandbox: sandbox('k4'), command: { value: 'true', user: 'no-such-user-x' }, env: PATH })).rejects.toThrow("Failed to switch to user 'no-such-user-x': the user does not exist on this agent");
  });

  it('a watched limitation destroys the running container and is reported with its exit', async () => {
    let fire: ((l: Limitation) => void) | undefined;
    const disk: Isolator = { name: 'disk', watch: () => new Promise((r) => (fire = r)), cleanup: async () => undefined };
    const z = await make([disk]);
    await z.launch({ containerId: 'k5', sandbox: sandbox('k5'), command: { value: 'sleep 600' }, env: PATH });
    await waitFor(() => fire, { what: 'watch started' });
    await waitFor(async () => (await z.taskPid('k5')) !== undefined, { what: 'task pid' });
    fire?.({ reason: 'REASON_CONTAINER_LIMITATION_DISK', message: 'Disk usage (20MB) exceeds quota (10MB)' });
    const st = await waitFor(() => exits.get('k5'), { what: 'exit' });
    expect(st.limitation?.reason).toBe('REASON_CONTAINER_LIMITATION_DISK');
    expect(st).toMatchObject({ kind: 'signaled', signal: 'SIGKILL' });
  });

  it('tracks the boot id: first run and same boot are not a reboot, a new boot id is', async () => {
    const boot = join(dir, 'boot_id');
    writeFileSync(boot, 'aaa\n');
    expect(await (await make([], boot)).rebooted()).toBe(false);
    expect(await c?.rebooted()).toBe(false);
    writeFileSync(boot, 'bbb\n');
    expect(await c?.rebooted()).toBe(true);
    expect(await c?.rebooted()).toBe(false);
  });
});
