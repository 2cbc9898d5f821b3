import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentConfig, parseAttributes } from '../../../src/agent/config.js';
import { resolveFlags } from '../../../src/core/flags.js';
import { AGENT_FLAGS } from '../../../src/agent/index.js';

describe('agent config', () => {
  it('parses attributes: TEXT, SCALAR and RANGES', () => {
    expect(parseAttributes('rack:r1; zone:2;ports:[1-10,20-30];w:2.5')).toEqual([
      { name: 'rack', type: 'TEXT', text: { value: 'r1' } },
      { name: 'zone', type: 'SCALAR', scalar: { value: 2 } },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 1, end: 10 }, { begin: 20, end: 30 }] } },
      { name: 'w', type: 'SCALAR', scalar: { value: 2.5 } },
    ]);
    expect(() => parseAttributes('rack')).toThrow(/name:value/);
    expect(() => parseAttributes('s:{a,b}')).toThrow(/SET/);
  });

  it('uses explicit resources and detects the missing ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agora-cfg-'));
    try {
      const flags = resolveFlags(AGENT_FLAGS, { master: '127.0.0.1:5050', work_dir: dir, resources: 'mem:2048;cpus(ads):8' }, {});
      const cfg = await agentConfig(flags);
      expect(cfg.resources.scalar('mem')).toBe(2048);
      expect(cfg.resources.reserved('ads').scalar('cpus')).toBe(8);
      // As upstream: a name given at all (even reserved) is not auto-detected.
      expect(cfg.resources.unreserved().scalar('cpus')).toBe(0);
      const auto = await agentConfig(resolveFlags(AGENT_FLAGS, { master: 'm:1', work_dir: dir }, {}));
      expect(auto.resources.scalar('cpus')).toBe(cpus().length);
      expect(cfg.resources.scalar('disk')).toBeGreaterThan(0);
      expect(cfg.resources.ranges('ports')).toEqual([[31000, 32000]]);
      expect(cfg.port).toBe(5051);
      expect(cfg.hostname).toBe('127.0.0.1');
      expect(cfg.statusRetryMs).toBe(10_000);
      expect(cfg.shutdownGraceMs).toBe(5_000);
      expect(cfg.recover).toBe('reconnect');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('requires --master and --work_dir', async () => {
    await expect(agentConfig(resolveFlags(AGENT_FLAGS, { work_dir: '/tmp/x' }, {}))).rejects.toThrow(/--master is required/);
    await expect(agentConfig(resolveFlags(AGENT_FLAGS, { master: 'm:1' }, {}))).rejects.toThrow(/--work_dir is required/);
  });
});
