import { describe, expect, it } from 'vitest';
import { simCommand } from '../../../src/cli/sim.js';

describe('agora sim', () => {
  it('parses its options and passes them to the action (defaults included)', async () => {
    const seen: unknown[] = [];
    const cmd = simCommand(async (o) => {
      seen.push(o);
    });
    await cmd.parseAsync(['--master', 'zk://127.0.0.1:2181/agora', '--agents', '500', '--attributes', 'rack:r1'], { from: 'user' });
    expect(seen).toEqual([
      {
        master: 'zk://127.0.0.1:2181/agora',
        agents: '500',
        resources: 'cpus:4;mem:8192;disk:10000;ports:[31000-32000]',
        hostnamePrefix: 'sim-agent-',
        attributes: 'rack:r1',
        concurrency: '200',
        report: '5secs',
      },
    ]);
  });
  it('requires --master', async () => {
    const cmd = simCommand(async () => undefined).exitOverride().configureOutput({ writeErr: () => undefined });
    await expect(cmd.parseAsync([], { from: 'user' })).rejects.toThrow(/--master/);
  });
});
