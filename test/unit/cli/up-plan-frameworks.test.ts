import { describe, expect, it } from 'vitest';
import { planUp } from '../../../src/cli/up-plan.js';

const host = { cpus: 4, memMb: 8192, diskMb: 100_000 };

describe('agora up plan: frameworks', () => {
  it('adds apps and jobs on their ports, subscribed to the master, with work dirs and logs under the up dir', () => {
    const plan = planUp({ agents: 1, port: 5050, ip: '127.0.0.1', workDir: '/w', appsPort: 8080, jobsPort: 4400 }, host);
    expect(plan.frameworks.map((f) => [f.kind, f.url, f.workDir, f.logFile])).toEqual([
      ['apps', 'http://127.0.0.1:8080', '/w/apps', '/w/logs/apps.log'],
      ['jobs', 'http://127.0.0.1:4400', '/w/jobs', '/w/logs/jobs.log'],
    ]);
    expect(plan.frameworks[0]?.args).toEqual(['apps', '--ip', '127.0.0.1', '--port', '8080', '--master', '127.0.0.1:5050', '--work_dir', '/w/apps']);
    expect(plan.frameworks[1]?.args[0]).toBe('jobs');
  });

  it('skips a framework whose port is not given (--no-apps / --no-jobs) and rejects a bad port', () => {
    expect(planUp({ agents: 1, port: 5050, ip: '127.0.0.1', workDir: '/w', jobsPort: 4400 }, host).frameworks.map((f) => f.kind)).toEqual(['jobs']);
    expect(planUp({ agents: 1, port: 5050, ip: '127.0.0.1', workDir: '/w' }, host).frameworks).toEqual([]);
    expect(() => planUp({ agents: 1, port: 5050, ip: '127.0.0.1', workDir: '/w', appsPort: Number('x') }, host)).toThrow(/--apps_port/);
  });

  it('adds agora lb after the frameworks, pointed at agora apps, only when apps runs', () => {
    const plan = planUp({ agents: 1, port: 5050, ip: '127.0.0.1', workDir: '/w', appsPort: 8080, jobsPort: 4400, lbPort: 9090 }, host);
    const lb = plan.frameworks.at(-1);
    expect(lb?.kind).toBe('lb');
    expect(lb?.url).toBe('http://127.0.0.1:9090');
    expect(lb?.args.slice(0, 3)).toEqual(['lb', '--apps', 'http://127.0.0.1:8080']);
    expect(lb?.args).toContain('--run-dir');
    expect(planUp({ agents: 1, port: 5050, ip: '127.0.0.1', workDir: '/w', lbPort: 9090 }, host).frameworks).toEqual([]);
    expect(() => planUp({ agents: 1, port: 5050, ip: '127.0.0.1', workDir: '/w', appsPort: 8080, lbPort: -1 }, host)).toThrow(/--lb_port/);
  });
});
