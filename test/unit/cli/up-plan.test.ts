import { describe, expect, it } from 'vitest';
import { agentResources, planUp } from '../../../src/cli/up-plan.js';
import { parseResources } from '../../../src/core/resources.js';

const host = { cpus: 4, memMb: 8192, diskMb: 100_000 };

describe('agora up plan', () => {
  it('puts the master on --port and agents on the following ports, each with its own work dir', () => {
    const plan = planUp({ agents: 2, port: 5050, ip: '127.0.0.1', workDir: '/w' }, host);
    expect(plan.master.url).toBe('http://127.0.0.1:5050');
    expect(plan.master.args).toEqual(['master', '--ip', '127.0.0.1', '--port', '5050', '--work_dir', '/w/master']);
    expect(plan.agents.map((a) => a.url)).toEqual(['http://127.0.0.1:5051', 'http://127.0.0.1:5052']);
    expect(new Set(plan.agents.map((a) => a.workDir)).size).toBe(2);
    expect(plan.agents[0]?.args).toContain('127.0.0.1:5050');
  });

  it('splits the machine between agents, leaving headroom, with disjoint port ranges', () => {
    const parts = [0, 1, 2].map((i) => parseResources(agentResources(i, 3, host)));
    const total = parts.reduce((a, b) => a.plus(b));
    expect(total.scalar('cpus')).toBeLessThanOrEqual(4);
    expect(total.scalar('mem')).toBeLessThanOrEqual(8192 - 1024);
    expect(total.scalar('disk')).toBeLessThanOrEqual(100_000 - 5120);
    expect(parts[0]?.scalar('mem')).toBe(Math.floor(7168 / 3));
    expect(total.ranges('ports')).toEqual([[31000, 32000]]);
    expect(parts[0]?.ranges('ports')).toEqual([[31000, 31332]]);
  });
});
