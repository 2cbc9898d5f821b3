import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveFlags } from '../../../src/core/flags.js';
import { silentLogger } from '../../../src/core/log.js';
import { MASTER_FLAGS, startMaster } from '../../../src/master/index.js';
import { openEventStream } from '../../../src/transport/stream-client.js';

describe('startMaster', () => {
  it('listens on an ephemeral port, advertises it, keeps registry.db in work_dir, and stops cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agora-start-'));
    try {
      const flags = resolveFlags(MASTER_FLAGS, { port: '0', work_dir: dir, heartbeat_interval: '100ms' }, {});
      const m = await startMaster(flags, { logger: silentLogger() });
      expect(m.port).toBeGreaterThan(0);
      expect(m.url).toBe(`http://127.0.0.1:${m.port}`);
      expect(existsSync(join(dir, 'registry.db'))).toBe(true);
      const events: { type: string; subscribed?: { master_info: { port: number; pid: string } } }[] = [];
      const ac = new AbortController();
      const reading = (async () => {
        try {
          for await (const ev of openEventStream({
            url: `${m.url}/master/api/v1/scheduler`,
            body: { type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n' } } },
            signal: ac.signal,
          })) {
            events.push(ev as never);
          }
        } catch {
          // stream ended by stop()
        }
      })();
      const deadline = performance.now() + 5000;
      while (events.filter((e) => e.type === 'HEARTBEAT').length < 3 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(events[0]?.type).toBe('SUBSCRIBED');
      expect(events[0]?.subscribed?.master_info.port).toBe(m.port);
      expect(events[0]?.subscribed?.master_info.pid).toBe(`master@127.0.0.1:${m.port}`);
      expect(events.filter((e) => e.type === 'HEARTBEAT').length).toBeGreaterThanOrEqual(3);
      await m.stop();
      await reading;
      ac.abort();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('requires --work_dir', async () => {
    const flags = resolveFlags(MASTER_FLAGS, { port: '0' }, {});
    await expect(startMaster(flags, { logger: silentLogger() })).rejects.toThrow(/work_dir/);
  });
});
