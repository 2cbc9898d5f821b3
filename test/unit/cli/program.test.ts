import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';

describe('agora program', () => {
  it('loads only the sub-command being run', async () => {
    const program = await buildProgram('app');
    expect(program.commands.map((c) => c.name())).toEqual(['app']);
  });

  it('registers every sub-command, in help order, for help or an unknown name', async () => {
    for (const argv2 of [undefined, '--help', 'no-such-command']) {
      const names = (await buildProgram(argv2)).commands.map((c) => c.name());
      expect(names.slice(0, 4)).toEqual(['master', 'agent', 'execute', 'up']);
      expect(names).toContain('sim');
      expect(names).toHaveLength(17);
    }
  });
});
